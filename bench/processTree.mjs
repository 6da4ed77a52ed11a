// The daemon as a process tree: `promptpilot run` re-executes itself with a heap limit derived from
// limits.memory_budget_bytes (src/cli/heapLimit.ts), so its memory and CPU are the parent's plus the child's.
import { readFileSync } from 'node:fs';

/** `pid` and every descendant still alive. */
export function processTree(pid) {
  const out = [];
  const visit = (p) => {
    out.push(p);
    let children = '';
    try {
      children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8');
    } catch {
      return;
    }
    for (const c of children.split(/\s+/).filter(Boolean)) visit(Number(c));
  };
  visit(pid);
  return out;
}

const sum = (pid, read) => processTree(pid).reduce((total, p) => {
  try {
    return total + read(p);
  } catch {
    return total; // exited meanwhile
  }
}, 0);

/** Resident memory of the whole tree, MiB. */
export const treeRssMiB = (pid) => Math.round(sum(pid, (p) => Number(readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1])) / 1024);

/** CPU seconds (user + system) the whole tree used so far. */
export const treeCpuSeconds = (pid) => sum(pid, (p) => {
  const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
});
