/**
 * Reading a number off a server's /metrics page (Prometheus text format), to check what the
 * server itself counted: that a warm run made no cache misses, that every answer was a patch.
 */
import { request } from 'undici';

export async function scrape(metricsUrl: string): Promise<string> {
  const response = await request(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET /metrics answered ${response.statusCode}`);
  return text;
}

/**
 * The sum of every sample of `name` whose labels include all of `labels` (0 when there is none).
 */
export function sampleSum(
  text: string,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  let sum = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match?.[1] !== name) continue;
    const labelText = match[2] ?? '';
    if (wanted.every((pair) => labelText.split(',').includes(pair))) sum += Number(match[3]);
  }
  return sum;
}
