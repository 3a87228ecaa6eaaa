// SVG bar charts for the bench report, written by hand (no plotting library, no service): one bar
// per library with its ratio to the baseline, and a whisker from the smallest to the largest
// per-repetition ratio.

export interface Bar {
  label: string;
  /** Median ratio to the baseline. */
  value: number;
  min: number;
  max: number;
  /** ws-machine's bar stands out. */
  highlight?: boolean;
  /** The baseline itself (ratio 1 by definition). */
  baseline?: boolean;
}

export interface Chart {
  title: string;
  /** Under the title: what the ratio is and which way is better. */
  subtitle: string;
  bars: Bar[];
  /** A dashed line where the target is, with its label. */
  target?: { value: number; label: string };
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const px = (v: number) => Math.round(v * 10) / 10;

/** A step for the axis ticks that gives about five of them. */
function step(max: number): number {
  const raw = max / 5;
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

export function svgChart(c: Chart): string {
  const width = 720;
  const left = 190;
  const right = 70;
  const top = 72;
  const row = 26;
  const bar = 16;
  const plotW = width - left - right;
  const finite = c.bars.flatMap((b) => [b.value, b.max]).filter(Number.isFinite);
  const domain = Math.max(1.2, c.target?.value ?? 0, ...finite) * 1.08;
  const tick = step(domain);
  const x = (v: number) => left + (Math.min(v, domain) / domain) * plotW;
  const height = top + c.bars.length * row + 34;
  const bottom = top + c.bars.length * row;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<title>${esc(c.title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="14" font-weight="600" fill="#111827">${esc(c.title)}</text>`,
    `<text x="12" y="40" fill="#4b5563">${esc(c.subtitle)}</text>`,
  ];
  for (let t = 0; t <= domain + 1e-9; t += tick) {
    const tx = px(x(t));
    out.push(
      `<line x1="${tx}" y1="${top - 6}" x2="${tx}" y2="${bottom}" stroke="#e5e7eb"/>`,
      `<text x="${tx}" y="${bottom + 16}" text-anchor="middle" fill="#6b7280">${Number(t.toFixed(3))}</text>`,
    );
  }
  out.push(`<text x="${left + plotW / 2}" y="${bottom + 30}" text-anchor="middle" fill="#6b7280">ratio (1 = baseline)</text>`);
  c.bars.forEach((b, i) => {
    const y = top + i * row;
    const cy = y + row / 2;
    const fill = b.highlight ? '#2563eb' : b.baseline ? '#374151' : '#9ca3af';
    out.push(
      `<text x="${left - 8}" y="${cy + 4}" text-anchor="end" fill="#111827"${b.highlight ? ' font-weight="600"' : ''}>${esc(b.label)}</text>`,
    );
    if (!Number.isFinite(b.value)) {
      out.push(`<text x="${left + 4}" y="${cy + 4}" fill="#b91c1c">no result</text>`);
      return;
    }
    out.push(
      `<rect x="${left}" y="${px(cy - bar / 2)}" width="${px(Math.max(1, x(b.value) - left))}" height="${bar}" fill="${fill}" rx="2"/>`,
    );
    if (Number.isFinite(b.min) && Number.isFinite(b.max) && b.max > b.min) {
      const [x1, x2] = [px(x(b.min)), px(x(b.max))];
      out.push(
        `<line x1="${x1}" y1="${cy}" x2="${x2}" y2="${cy}" stroke="#111827" stroke-width="1.2"/>`,
        `<line x1="${x1}" y1="${cy - 5}" x2="${x1}" y2="${cy + 5}" stroke="#111827" stroke-width="1.2"/>`,
        `<line x1="${x2}" y1="${cy - 5}" x2="${x2}" y2="${cy + 5}" stroke="#111827" stroke-width="1.2"/>`,
      );
    }
    const end = Math.max(x(b.value), Number.isFinite(b.max) ? x(b.max) : 0);
    const over = b.value > domain ? ' →' : '';
    out.push(`<text x="${px(end + 6)}" y="${cy + 4}" fill="#111827">${b.value.toFixed(2)}${over}</text>`);
  });
  const one = px(x(1));
  out.push(`<line x1="${one}" y1="${top - 6}" x2="${one}" y2="${bottom}" stroke="#374151" stroke-dasharray="2 3"/>`);
  if (c.target) {
    const tx = px(x(c.target.value));
    out.push(
      `<line x1="${tx}" y1="${top - 10}" x2="${tx}" y2="${bottom}" stroke="#dc2626" stroke-width="1.5" stroke-dasharray="6 4"/>`,
      `<text x="${tx}" y="${top - 13}" text-anchor="middle" fill="#dc2626">${esc(c.target.label)}</text>`,
    );
  }
  out.push('</svg>', '');
  return out.join('\n');
}

export interface OverviewRow {
  label: string;
  better: 'higher' | 'lower';
  /** ws-machine's median ratio and min–max. */
  value: number;
  min: number;
  max: number;
  target?: number;
  /** Every peer's median ratio. */
  peers: { name: string; value: number }[];
}

/**
 * Every headline row in one picture (for the README): ws-machine's ratio as a bar with whiskers,
 * each peer as a dot at its ratio, the target as a red tick, raw ws as the dotted line at 1.
 */
export function svgOverview(title: string, subtitle: string, rows: OverviewRow[]): string {
  // Room for the longest label (about 6.6 px a character at 12 px).
  const longest = Math.max(...rows.map((r) => `${r.label} (${r.better} better)`.length));
  const left = Math.max(300, Math.ceil(20 + longest * 6.6));
  const right = 70;
  const width = left + 460 + right;
  const top = 78;
  const row = 26;
  const plotW = width - left - right;
  const all = rows.flatMap((r) => [r.value, r.max, r.target ?? 0, ...r.peers.map((p) => p.value)]).filter(Number.isFinite);
  const domain = Math.min(4, Math.max(1.5, ...all)) * 1.05;
  const tick = step(domain);
  const x = (v: number) => left + (Math.min(v, domain) / domain) * plotW;
  const bottom = top + rows.length * row;
  const height = bottom + 36;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="12">`,
    `<title>${esc(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="14" font-weight="600" fill="#111827">${esc(title)}</text>`,
    `<text x="12" y="40" fill="#4b5563">${esc(subtitle)}</text>`,
    `<rect x="12" y="50" width="14" height="10" fill="#2563eb" rx="2"/><text x="31" y="59" fill="#111827">ws-machine (whiskers: min–max)</text>`,
    `<circle cx="250" cy="55" r="4" fill="#9ca3af" stroke="#4b5563"/><text x="259" y="59" fill="#111827">a peer library</text>`,
    `<line x1="370" y1="49" x2="370" y2="61" stroke="#dc2626" stroke-width="2"/><text x="377" y="59" fill="#111827">target</text>`,
    `<line x1="440" y1="55" x2="460" y2="55" stroke="#374151" stroke-dasharray="2 3"/><text x="465" y="59" fill="#111827">raw ws (1)</text>`,
  ];
  for (let t = 0; t <= domain + 1e-9; t += tick) {
    const tx = px(x(t));
    out.push(
      `<line x1="${tx}" y1="${top - 4}" x2="${tx}" y2="${bottom}" stroke="#e5e7eb"/>`,
      `<text x="${tx}" y="${bottom + 16}" text-anchor="middle" fill="#6b7280">${Number(t.toFixed(3))}</text>`,
    );
  }
  out.push(
    `<text x="${left + plotW / 2}" y="${bottom + 31}" text-anchor="middle" fill="#6b7280">ratio to raw ws${domain < 4 ? '' : ' (cut at 4)'}</text>`,
  );
  rows.forEach((r, i) => {
    const cy = top + i * row + row / 2;
    if (i % 2) out.push(`<rect x="0" y="${top + i * row}" width="${width}" height="${row}" fill="#f9fafb"/>`);
    out.push(
      `<text x="${left - 8}" y="${cy + 4}" text-anchor="end" fill="#111827">${esc(r.label)} <tspan fill="#6b7280">(${r.better} better)</tspan></text>`,
    );
    if (Number.isFinite(r.value)) {
      out.push(`<rect x="${left}" y="${px(cy - 6)}" width="${px(Math.max(1, x(r.value) - left))}" height="12" fill="#2563eb" rx="2"/>`);
      if (r.max > r.min) {
        out.push(`<line x1="${px(x(r.min))}" y1="${cy}" x2="${px(x(r.max))}" y2="${cy}" stroke="#111827" stroke-width="1.2"/>`);
      }
    }
    for (const p of r.peers) {
      if (Number.isFinite(p.value))
        out.push(
          `<circle cx="${px(x(p.value))}" cy="${cy}" r="4" fill="#9ca3af" fill-opacity="0.8" stroke="#4b5563"><title>${esc(`${p.name}: ${p.value.toFixed(2)}`)}</title></circle>`,
        );
    }
    if (r.target !== undefined)
      out.push(`<line x1="${px(x(r.target))}" y1="${cy - 10}" x2="${px(x(r.target))}" y2="${cy + 10}" stroke="#dc2626" stroke-width="2"/>`);
    if (Number.isFinite(r.value))
      out.push(`<text x="${width - 12}" y="${cy + 4}" text-anchor="end" fill="#1d4ed8">${r.value.toFixed(2)}</text>`);
  });
  const one = px(x(1));
  out.push(`<line x1="${one}" y1="${top - 4}" x2="${one}" y2="${bottom}" stroke="#374151" stroke-dasharray="2 3"/>`, '</svg>', '');
  return out.join('\n');
}
