import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

// Vega-Lite specs rendered to SVG in Node (the 'none' renderer needs no canvas or browser).
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
