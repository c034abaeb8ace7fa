import type { TopLevelSpec } from 'vega-lite';

// Vega-Lite specs rendered to SVG in Node (the 'none' renderer needs no canvas or browser). Vega is
// loaded on first use: it takes over a second to import, and only reports need it.
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, { compile }] = await Promise.all([import('vega'), import('vega-lite')]);
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
