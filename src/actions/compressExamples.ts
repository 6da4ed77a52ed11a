/**
 * Example efficiency: repeated "Example N:" blocks become one compact list,
 * `- input → output`, under a single header naming the two labels.
 */

const EXAMPLE_HEADER = /^\s*(?:#+\s*|\*\*)?Example\s*#?(?:\d+)?\s*(?:\*\*)?\s*[:.)-]?\s*(.*)$/i;
const EXAMPLE_NUMBERED = /^\s*(?:#+\s*|\*\*)?Example(?:\s*#?\d+\s*(?:\*\*)?\s*[:.)-]?|\s*:)/i;
const IO_LABEL = /(?:^|\s)(Input|Output|Q|A|Question|Answer|Text|Label|Sentiment|Category|Review|Ticket|Customer|Response|Result|Entities|Summary|Query|SQL|Explanation)\s*:\s*/g;

/** A line that only announces examples. */
const EXAMPLES_HEADER = /^\s*(?:here (?:are|is) )?(?:some |a few )?examples?\b[^:\n]{0,60}:\s*$/i;

interface ExampleBlock {
  readonly labels: string[];
  readonly values: string[];
  readonly raw: string;
}

function parseExample(content: string): ExampleBlock {
  const flat = content.replace(/\s*\n\s*/g, ' ').trim();
  const labels: string[] = [];
  const values: string[] = [];
  const matches = [...flat.matchAll(IO_LABEL)];
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i]!;
    const valueStart = (m.index ?? 0) + m[0].length;
    const valueEnd = matches[i + 1]?.index ?? flat.length;
    labels.push(m[1]!);
    values.push(flat.slice(valueStart, valueEnd).trim());
  }
  if (matches.length > 0 && (matches[0]!.index ?? 0) > 0) return { labels: [], values: [], raw: flat };
  return { labels, values, raw: flat };
}

/** Repeated "Example N:" blocks → one compact list (`- input → output`). */
export const mergeExamples = (text: string): string => {
  const lines = text.split('\n');
  const out: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const blocks: { content: string; end: number }[] = [];
    let j = i;
    while (j < lines.length && EXAMPLE_NUMBERED.test(lines[j]!)) {
      const body = [EXAMPLE_HEADER.exec(lines[j]!)?.[1] ?? ''];
      let k = j + 1;
      while (k < lines.length && lines[k]!.trim() !== '' && !EXAMPLE_NUMBERED.test(lines[k]!)) body.push(lines[k++]!);
      if (body.length > 5) break;
      blocks.push({ content: body.join('\n').trim(), end: k });
      while (k < lines.length && lines[k]!.trim() === '') k++;
      j = k;
    }
    if (blocks.length < 2) {
      out.push(lines[i]!);
      i++;
      continue;
    }
    const parsed = blocks.map((b) => parseExample(b.content));
    const first = parsed[0]!;
    const sameTwoLabels = first.labels.length === 2 && parsed.every((p) => p.labels.length === 2 && p.labels[0] === first.labels[0] && p.labels[1] === first.labels[1]);
    const indent = /^\s*/.exec(lines[i]!)?.[0] ?? '';
    // An "Examples:" / "Here are some examples:" header right before the blocks is replaced by the merged one.
    while (out.length > 0 && out[out.length - 1]!.trim() === '') out.pop();
    const header = out.length > 0 && EXAMPLES_HEADER.test(out[out.length - 1]!) ? out.pop() : undefined;
    if (header === undefined && out.length > 0) out.push('');
    const plainLabels = first.labels[0] === 'Input' && first.labels[1] === 'Output';
    if (sameTwoLabels) {
      out.push(plainLabels ? `${indent}Examples:` : `${indent}Examples (${first.labels[0]} → ${first.labels[1]}):`);
      for (const [output, inputs] of groupByOutput(parsed)) out.push(`${indent}- ${inputs.join(' | ')} → ${output}`);
    } else {
      out.push(`${indent}Examples:`);
      for (const raw of new Set(parsed.map((p) => p.raw.replace(/\s+/g, ' ')))) out.push(`${indent}- ${raw}`);
    }
    if (j < lines.length) out.push('');
    i = j;
  }
  return out.join('\n');
};

/**
 * Overlapping examples merged: examples with the same output become one line
 * (`- a | b → label`), in order of first appearance; repeated inputs appear once.
 */
function groupByOutput(parsed: readonly ExampleBlock[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const p of parsed) {
    const [input, output] = [p.values[0]!, p.values[1]!];
    const inputs = groups.get(output) ?? [];
    if (!inputs.includes(input)) inputs.push(input);
    groups.set(output, inputs);
  }
  return groups;
}
