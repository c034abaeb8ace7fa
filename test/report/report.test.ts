import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allCharts } from '../../src/report/charts.js';
import { renderReportHtml } from '../../src/report/html.js';
import { paretoFront } from '../../src/report/pareto.js';
import { stageBreakdown } from '../../src/report/stages.js';
import { sampleReportData } from './report-data.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT_DIR = join(process.cwd(), 'results', 'test-artifacts');

describe('report building blocks', () => {
  it('finds the Pareto front of time against accuracy', () => {
    const points = [
      { time: 1, accuracy: 0.8 },
      { time: 2, accuracy: 0.95 },
      { time: 2.5, accuracy: 0.9 }, // beaten by (2, 0.95)
      { time: 3, accuracy: 0.99 },
      { time: 0.5, accuracy: 0.5 },
    ];
    expect(paretoFront(points)).toEqual([
      { time: 0.5, accuracy: 0.5 },
      { time: 1, accuracy: 0.8 },
      { time: 2, accuracy: 0.95 },
      { time: 3, accuracy: 0.99 },
    ]);
  });

  it('splits a timeline into consecutive critical-path stages that add up to the total', () => {
    const stages = stageBreakdown({
      connected: 0.05,
      firstByte: 0.15,
      downloadEnd: 1.0,
      decoderStart: 0.4,
      firstFrame: 0.7,
      firstBatch: 0.9,
      lastFrame: 2.5,
      total: 2.6,
    })!;
    expect(stages.connect).toBeCloseTo(0.05);
    expect(stages.firstByte).toBeCloseTo(0.1);
    expect(stages.download).toBeCloseTo(0.25);
    expect(stages.decode).toBeCloseTo(0.3);
    expect(stages.inference).toBeCloseTo(1.8);
    expect(stages.wait).toBeCloseTo(0.1);
    expect(Object.values(stages).reduce((a, b) => a + b, 0)).toBeCloseTo(2.6);
  });

  it('charges a stage that was never reached nothing, and a failed challenge has no breakdown', () => {
    const t = { connected: 0.1, firstByte: null, downloadEnd: null, decoderStart: null, firstFrame: null, firstBatch: null, lastFrame: null, total: 0.5 };
    expect(stageBreakdown(t)).toMatchObject({ connect: 0.1, firstByte: 0, wait: 0.4 });
    expect(stageBreakdown({ ...t, total: null })).toBeNull();
  });

  it('draws every chart from the data: winner and baselines are in the SVG', async () => {
    const html = await renderReportHtml(sampleReportData());
    for (const chart of allCharts(sampleReportData())) expect(html).toContain(`data-chart="${chart.id}"`);
    expect(html).toContain('winner #3');
    expect(html).toContain('fork-default (#0)');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org|vega\.github\.io)/);
  });
});

describe('the figures the report sets side by side', () => {
  it('marks which phase each gain over a baseline compares, and says how a drifted study is ranked', async () => {
    const data = sampleReportData();
    const html = await renderReportHtml(data);
    // Trial 3 (raced) against fork-default (raced): race figures; trial 4 (search only): search figures.
    const rowOf = (n: number) => html.split('<tr').find((r) => r.includes(`<td>#${n}`))!;
    expect(rowOf(3)).toMatch(/<td>[\d.]+× <small class="phase">race<\/small><\/td>/);
    expect(rowOf(4)).toMatch(/<td>[\d.]+× <small class="phase">search<\/small><\/td>/);
    expect(html).toContain('<th>time ÷ control [95% CI] <small>(&lt;1 faster)</small></th>');
    const caption = (d: typeof data) => allCharts(d).find((c) => c.id === 'control')!.caption;
    expect(caption(data)).toMatch(/so trials are ranked by their ratio to the control measured near them\.$/);
    expect(caption({ ...data, rankedBy: 'absolute' })).toMatch(/trials are still ranked on their absolute figures .*read them with care\.$/);
  });
});

describe('report in headless Chromium', () => {
  if (!existsSync(CHROMIUM)) {
    console.log(`skipping the Chromium report test: no ${CHROMIUM} (run scripts/install-system-deps.sh as root, or set CHROMIUM_PATH)`);
  }
  it.skipIf(!existsSync(CHROMIUM))('renders every chart with visible marks and saves a screenshot', async () => {
    const { chromium } = await import('playwright-core');
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = join(SCREENSHOT_DIR, 'report.html');
    writeFileSync(file, await renderReportHtml(sampleReportData()));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const failed: string[] = [];
      page.on('requestfailed', (r) => failed.push(r.url()));
      await page.goto(`file://${file}`);
      const charts = await page.$$eval('figure.chart', (figures) =>
        figures.map((f) => {
          const svg = f.querySelector('svg');
          const box = svg?.getBoundingClientRect();
          const marks = svg ? svg.querySelectorAll('g.role-mark path, g.role-mark line, g.role-mark text, g.role-mark rect').length : 0;
          return { id: f.getAttribute('data-chart'), width: box?.width ?? 0, height: box?.height ?? 0, marks };
        }),
      );
      expect(charts.map((c) => c.id)).toEqual(allCharts(sampleReportData()).map((c) => c.id));
      for (const c of charts) {
        expect(c.width, c.id!).toBeGreaterThan(100);
        expect(c.height, c.id!).toBeGreaterThan(100);
        expect(c.marks, c.id!).toBeGreaterThan(3);
      }
      expect(failed).toEqual([]);
      await page.screenshot({ path: join(SCREENSHOT_DIR, 'report.png'), fullPage: true });
      expect(existsSync(join(SCREENSHOT_DIR, 'report.png'))).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
