// What of a Markdown text GitHub reads as Markdown: the text with its fenced code blocks and code spans taken out, by
// CommonMark's rules (a span closes only at a backtick run of its own opening run's length).

/** The text outside fenced code blocks and inline code spans; each removed span or block leaves one space. */
export function markdownProse(md: string): string {
  const out: string[] = [];
  let fence: string | null = null;
  for (const line of md.split('\n')) {
    if (fence) {
      if (new RegExp(`^ {0,3}${fence}\`*\\s*$`).test(line)) fence = null;
      continue;
    }
    const open = /^ {0,3}(`{3,})[^`]*$/.exec(line);
    if (open) {
      fence = open[1]!;
      out.push(' ');
      continue;
    }
    out.push(withoutCodeSpans(line));
  }
  if (fence) throw new Error(`a fenced block opened with ${fence} is never closed`);
  return out.join('\n');
}

function withoutCodeSpans(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] === '\\' && i + 1 < line.length) {
      out += line.slice(i, i + 2);
      i += 2;
      continue;
    }
    if (line[i] !== '`') {
      out += line[i++];
      continue;
    }
    const run = /^`+/.exec(line.slice(i))![0];
    // The closing run: the next run of exactly the same length.
    const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
    close.lastIndex = i + run.length;
    const m = close.exec(line);
    if (!m) {
      out += run;
      i += run.length;
      continue;
    }
    out += ' ';
    i = m.index + run.length;
  }
  return out;
}

/** The inline code spans of a line, their content as CommonMark reads it (one padding space each side stripped). */
export function codeSpans(line: string): string[] {
  const spans: string[] = [];
  for (let i = 0; i < line.length;) {
    if (line[i] !== '`') {
      i++;
      continue;
    }
    const run = /^`+/.exec(line.slice(i))![0];
    const close = new RegExp(`(?<!\`)${run}(?!\`)`, 'g');
    close.lastIndex = i + run.length;
    const m = close.exec(line);
    if (!m) {
      i += run.length;
      continue;
    }
    const inner = line.slice(i + run.length, m.index);
    spans.push(/^ .*[^ ].* $/.test(inner) ? inner.slice(1, -1) : inner);
    i = m.index + run.length;
  }
  return spans;
}
