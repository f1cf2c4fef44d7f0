/** A set of listeners for one kind of notification; emitting iterates a copy, so listeners may unsubscribe. */
export class Listeners<T> {
  private readonly set = new Set<(value: T) => void>();

  /** Adds a listener; returns the function that removes it. */
  add(listener: (value: T) => void): () => void {
    this.set.add(listener);
    return () => this.set.delete(listener);
  }

  emit(value: T): void {
    for (const listener of [...this.set]) listener(value);
  }

  clear(): void {
    this.set.clear();
  }
}
