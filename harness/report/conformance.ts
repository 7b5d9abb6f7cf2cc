// The conformance table for the terminal: each case with the mock's answer and the real server's, and whether they agree.
import type { ConformanceResult } from '../conformance/run.ts';
import { oneLine } from '../printable.ts';

export function conformanceText(r: ConformanceResult): string {
  const lines = [
    `${oneLine(r.target)} ${oneLine(r.version)}: the mock (${oneLine(r.model)}) against ${oneLine(r.server)}`,
    '',
  ];
  for (const row of r.rows) {
    lines.push(`${row.agree ? 'same  ' : 'DIFFER'} ${oneLine(row.case)}: ${oneLine(row.asks)}`);
    if (row.agree) lines.push(`         both: ${oneLine(row.real, 300)}`);
    else lines.push(`         mock: ${oneLine(row.mock, 300)}`, `         real: ${oneLine(row.real, 300)}`);
  }
  const differ = r.rows.filter((x) => !x.agree).length;
  lines.push('', differ ? `${differ} of ${r.rows.length} cases differ` : `all ${r.rows.length} cases agree`);
  return lines.join('\n');
}
