// What the project may do to the machine it runs on: install Debian packages when it is root on Debian/Ubuntu.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function isDebianLike() {
  try {
    return /\b(debian|ubuntu)\b/i.test(readFileSync('/etc/os-release', 'utf8'));
  } catch {
    return false;
  }
}

/** True when this process may install Debian packages itself. */
export function canAptInstall() {
  return isRoot() && isDebianLike();
}

/** Installs Debian packages (apt-get update first); `reason` says why, for the log. */
export function aptInstall(packages, reason, { noRecommends = false } = {}) {
  console.log(`${reason}: installing ${packages.join(' ')} (apt-get)...`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', ...(noRecommends ? ['--no-install-recommends'] : []), ...packages], { stdio: 'inherit', env });
}

/**
 * What a script needs from the system: `find()`'s answer; otherwise, when allowed, the Debian `packages`
 * installed and `find()` asked again; otherwise `help` printed and the process ended.
 */
export function findOrInstall({ find, packages, reason, help, mayInstall = true, noRecommends = false }) {
  const found = find();
  if (found) return found;
  if (mayInstall && canAptInstall()) {
    aptInstall(packages, reason, { noRecommends });
    const installed = find();
    if (installed) return installed;
  }
  console.error(help);
  process.exit(1);
}
