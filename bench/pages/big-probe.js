// The big-notebook figure's probe, a classic script at the top of both pages (<bento-notebook> and the static
// nbconvert-style page), so that it watches from the start of parsing: it records every long task, and the frame at
// which the first screen shows the notebook's content (window.bigProbe.firstScreenMs, from navigation start).
// bench/big-notebook.mjs then scrolls the page (window.bigProbe.scroll()).
(() => {
  const probe = (window.bigProbe = { tasks: [], frames: [], firstScreenMs: undefined, fcpMs: undefined });
  new PerformanceObserver((list) => probe.tasks.push(...list.getEntries().map((e) => ({ start: e.startTime, duration: e.duration })))).observe({ type: 'longtask', buffered: true });
  try {
    // Long animation frames include style, layout and paint, which a long task may not.
    new PerformanceObserver((list) => probe.frames.push(...list.getEntries().map((e) => ({ start: e.startTime, duration: e.duration })))).observe({ type: 'long-animation-frame', buffered: true });
  } catch {
    // not in this browser
  }
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (entry.name === 'first-contentful-paint') probe.fcpMs = entry.startTime;
  }).observe({ type: 'paint', buffered: true });

  const visible = (rect) => rect.bottom > 0 && rect.top < innerHeight;

  /** A cell of <bento-notebook> shows its content: source, Markdown rendered, outputs rendered (not pending). */
  function bentoCellShown(cell) {
    const root = cell.shadowRoot;
    if (!root?.querySelector('.cell')) return false;
    if (cell.type === 'markdown') return Boolean(root.querySelector('.markdown:not(.pending)')?.textContent);
    if (!root.querySelector('.static, .cm-content')?.textContent) return false;
    const outputs = cell.outputs?.outputs?.length ?? 0;
    if (!outputs || cell.outputsCollapsed) return true;
    const area = root.querySelector('bento-output-area')?.shadowRoot;
    return Boolean(area?.querySelector('.outputs')) && !area.querySelector('.pending');
  }

  /** The viewport is full of rendered cells (or the notebook ends above its bottom). */
  function firstScreenShown() {
    const notebook = document.querySelector('bento-notebook');
    const cells = notebook ? [...notebook.children].filter((c) => c.localName === 'bento-cell') : [...document.querySelectorAll('.cell')];
    if (cells.length === 0) return false;
    let last;
    for (const cell of cells) {
      const rect = cell.getBoundingClientRect();
      if (rect.top >= innerHeight) break;
      if (!visible(rect)) continue;
      if (notebook && !bentoCellShown(cell)) return false;
      last = rect;
    }
    if (!last) return false;
    const finished = notebook ? cells.length > 1 : document.readyState !== 'loading';
    return last.bottom >= innerHeight || finished;
  }

  const poll = () => {
    if (firstScreenShown()) probe.firstScreenMs = performance.now();
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);

  /**
   * Scrolls to the bottom `step` pixels per frame, as a fast wheel does, until the page stops growing; resolves with
   * the time it started and ended (performance.now()).
   */
  probe.scroll = async (step = 300) => {
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    scrollTo(0, 0);
    await frame();
    const start = performance.now();
    let still = 0;
    while (still < 10) {
      const before = scrollY;
      scrollBy(0, step);
      await frame();
      still = scrollY === before ? still + 1 : 0;
    }
    return { start, end: performance.now(), height: document.documentElement.scrollHeight };
  };
})();
