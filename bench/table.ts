/**
 * The printed table: machine facts, then one row per figure with its median, spread, target and
 * verdict; misses and errors are rows like any other, and counted again at the end.
 */
import type { Figure, Target } from './figure.js';
import type { MachineFacts } from './machine.js';

/** Busier than this before the run, the machine was doing other work worth mentioning. */
const BUSY_SHARE = 0.1;

function busyLine(busy: number | undefined): string {
  if (busy === undefined) return 'machine activity before the run: unknown';
  const share = `${(busy * 100).toFixed(0)}% of all cores busy with other work before the run`;
  return busy >= BUSY_SHARE ? `${share} — wall-clock figures are pessimistic` : share;
}

function formatNumber(value: number, decimals: number): string {
  return value.toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
}

function formatTarget(target: Target | undefined, unit: string, decimals: number): string {
  if (target === undefined) return '';
  const symbol = { '>=': '≥', '<=': '≤', '=': '=' }[target.comparison];
  return `${symbol} ${formatNumber(target.value, decimals)} ${unit}`.trim();
}

/** Printed width: these cells hold no wide or combining characters, so code points will do. */
function width(text: string): number {
  return Array.from(text).length;
}

function row(figure: Figure): string[] {
  const { spread, decimals, unit } = figure;
  const median = spread === undefined ? '—' : `${formatNumber(spread.median, decimals)} ${unit}`;
  const range =
    spread === undefined
      ? '—'
      : `${formatNumber(spread.min, decimals)}–${formatNumber(spread.max, decimals)}`;
  const verdict = figure.verdict === 'info' ? '' : figure.verdict;
  return [
    figure.section,
    figure.label,
    median.trim(),
    range,
    formatTarget(figure.target, unit, decimals),
    verdict,
  ];
}

function aligned(rows: readonly string[][]): string[] {
  const widths = rows[0]!.map((_, column) =>
    Math.max(...rows.map((cells) => width(cells[column] ?? ''))),
  );
  return rows.map((cells) =>
    cells
      .map((cell, column) => cell + ' '.repeat(widths[column]! - width(cell)))
      .join('  ')
      .trimEnd(),
  );
}

export function renderTable(machine: MachineFacts, figures: readonly Figure[]): string {
  const header = ['#', 'figure', 'median', 'spread (min–max)', 'target', 'verdict'];
  const lines = aligned([header, ...figures.map(row)]);
  const rule = '-'.repeat(Math.max(...lines.map(width)));
  const judged = figures.filter((figure) => figure.target !== undefined);
  const met = judged.filter((figure) => figure.verdict === 'ok').length;
  const notes = figures
    .filter((figure) => figure.note !== undefined)
    .map((figure) => `  ${figure.section} ${figure.label}: ${figure.note ?? ''}`);
  return [
    `machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB, ` +
      `node ${machine.node}, ${machine.platform}`,
    `pinning: ${machine.pinning}`,
    busyLine(machine.busyBefore),
    `each figure: median of ${machine.runsPerFigure} runs, spread = min–max of those runs`,
    '',
    lines[0]!,
    rule,
    ...lines.slice(1),
    rule,
    `${met} of ${judged.length} targets met` +
      (met === judged.length ? '' : `; not met: ${notMet(judged)}`),
    ...(notes.length === 0 ? [] : ['', 'notes:', ...notes]),
  ].join('\n');
}

function notMet(figures: readonly Figure[]): string {
  return figures
    .filter((figure) => figure.verdict !== 'ok')
    .map((figure) => `${figure.section} ${figure.label} (${figure.verdict})`)
    .join(', ');
}
