import { readFileSync } from 'node:fs';
import type { ExperimentSnapshot } from '../abtest/experimentManager.js';
import type { RouteView } from '../app/routeQuery.js';
import type { DecisionRecord } from '../core/decision.js';
import { stringifyRounded } from '../core/jsonNumbers.js';
import { METRIC_WORDS } from '../core/metricWords.js';
import type { RouteSeriesView } from '../windows/statsSeries.js';

/** Everything a static page (the replay report) draws, in the HTTP API's shapes. */
export interface ViewData {
  readonly routes: readonly RouteView[];
  readonly series: Readonly<Record<string, RouteSeriesView>>;
  readonly experiments: readonly ExperimentSnapshot[];
  readonly decisions: readonly DecisionRecord[];
}

/**
 * What the pages may load: nothing from anywhere, except the live dashboard's
 * calls to its own daemon. Inline script and style only.
 */
export const DASHBOARD_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";
const REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'";

let client: string | null = null;

/** The browser script (src/ui/views.client.js), read once; the build copies it next to this module. */
function clientScript(): string {
  client ??= readFileSync(new URL('./views.client.js', import.meta.url), 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
  return client;
}

/** JSON that may sit inside a `<script>` element: no `</script>`, no `<!--`, no line separators. */
export function scriptSafeJson(value: unknown): string {
  return stringifyRounded(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, csp: string, subtitle: string, status: string, tail: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escapeHtml(title)}</title>
<style>${STYLES}</style>
</head>
<body>
<header class="top">
  <div class="brand"><span class="logo" aria-hidden="true">◆</span> promptpilot <span class="sub">${escapeHtml(subtitle)}</span></div>
  <div id="status" class="status">${escapeHtml(status)}</div>
</header>
<main>
  <div id="summary" class="summary"></div>
  <h2>Routes</h2>
  <div id="routes" class="routes"></div>
  <h2>Experiments</h2>
  <div id="experiments" class="experiments"></div>
  <h2>Decision log</h2>
  <div id="decisions" class="card"></div>
</main>
<script type="application/json" id="metric-words">${scriptSafeJson(METRIC_WORDS)}</script>
<script>${clientScript()}</script>
${tail}
</body>
</html>
`;
}

/** The live dashboard served at `GET /`: polls the daemon's own API every `pollMs`. */
export function dashboardPage(pollMs = 2000): string {
  return page('promptpilot', DASHBOARD_CSP, 'live dashboard', 'loading…', `<script>window.promptpilot.live(${Math.max(250, Math.floor(pollMs))});</script>`);
}

/** A self-contained report page: `data` travels inside it, nothing is loaded. */
export function reportPage(data: ViewData, title: string, subtitle: string): string {
  return page(title, REPORT_CSP, subtitle, '', `<script type="application/json" id="report-data">${scriptSafeJson(data)}</script>
<script>window.promptpilot.fromPage();</script>`);
}

const STYLES = `
:root{--bg:#f6f8fa;--card:#fff;--ink:#1f2328;--muted:#656d76;--line:#d0d7de;--good:#1a7f37;--warn:#9a6700;--bad:#cf222e;--accent:#0969da;--purple:#8250df;
--good-bg:#dafbe1;--warn-bg:#fff8c5;--bad-bg:#ffebe9;--purple-bg:#fbefff;--info-bg:#ddf4ff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.45 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif}
.top{position:sticky;top:0;z-index:2;display:flex;flex-wrap:wrap;gap:8px;align-items:center;justify-content:space-between;padding:10px 20px;background:#24292f;color:#fff}
.brand{font-weight:600;font-size:16px}.logo{color:#54aeff}.sub{font-weight:400;color:#afb8c1;font-size:13px;margin-left:6px}
.status{font-size:12px;color:#afb8c1}.status.ok::before{content:"● ";color:#4ac26b}.status.bad{color:#ffaba8}.status.bad::before{content:"● ";color:#ff8182}
main{max-width:1280px;margin:0 auto;padding:16px 20px 40px}
h2{font-size:15px;margin:22px 0 10px;color:var(--muted);text-transform:uppercase;letter-spacing:.04em}
h3{margin:0;font-size:16px;word-break:break-all}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 16px;margin-bottom:14px}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(130px,1fr));gap:10px}
.tile{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}
.tile-value{font-size:24px;font-weight:600}
.tile.bad .tile-value{color:var(--bad)}.tile.good .tile-value{color:var(--good)}.tile.purple .tile-value{color:var(--purple)}
.route-head{display:flex;flex-wrap:wrap;align-items:center;gap:8px 12px;margin-bottom:10px}
.serving{color:var(--muted);font-size:13px}
.badges{display:flex;flex-wrap:wrap;gap:6px;margin-left:auto}
.badge{display:inline-block;border-radius:12px;padding:1px 9px;font-size:12px;font-weight:500;border:1px solid transparent;white-space:nowrap}
.badge.good{background:var(--good-bg);color:var(--good)}.badge.warn{background:var(--warn-bg);color:var(--warn)}.badge.bad{background:var(--bad-bg);color:var(--bad)}
.badge.purple{background:var(--purple-bg);color:var(--purple)}.badge.info{background:var(--info-bg);color:var(--accent)}.badge.accent{background:var(--info-bg);color:var(--accent)}
.badge.muted{background:#eaeef2;color:var(--muted)}.badge.pending{border-color:var(--warn);color:var(--warn)}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(120px,1fr));gap:8px;margin-bottom:12px}
.kpi{border:1px solid var(--line);border-left-width:4px;border-radius:6px;padding:6px 10px}
.kpi.good{border-left-color:var(--good)}.kpi.warn{border-left-color:#d4a72c}.kpi.bad{border-left-color:var(--bad);background:var(--bad-bg)}.kpi.none{border-left-color:var(--line)}
.kpi-label{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.kpi-value{font-size:19px;font-weight:600;font-variant-numeric:tabular-nums}
.kpi.bad .kpi-value{color:var(--bad)}
.kpi-target{font-size:12px;color:var(--muted)}
#weekly-trend td.bad{color:var(--bad);font-weight:600}#weekly-trend td.good{color:var(--good)}
.charts{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:12px}
.mini-charts{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:8px}
.chart-box{margin:0;border:1px solid var(--line);border-radius:6px;padding:6px 8px 4px}
.chart-box figcaption{font-size:12px;color:var(--muted);font-weight:600}
.chart{width:100%;height:auto;display:block}
.chart .grid{stroke:#eaeef2;stroke-width:1}
.chart .axis{fill:var(--muted);font-size:11px}
.chart-box.small .chart .axis{font-size:14px}.chart-box.small .chart .target-label{font-size:14px}
.chart .line{fill:none;stroke-width:2;vector-effect:non-scaling-stroke;stroke-linejoin:round}
.chart .target{stroke:var(--bad);stroke-width:1;stroke-dasharray:6 4;vector-effect:non-scaling-stroke;opacity:.8}
.chart .target-label{fill:var(--bad);font-size:11px}
.marker line{stroke-width:1;stroke-dasharray:2 3;vector-effect:non-scaling-stroke}
.m-fire line{stroke:var(--bad)}.m-fire path{fill:var(--bad)}
.m-resolve line{stroke:var(--good)}.m-resolve path{fill:var(--good)}
.m-action line{stroke:var(--accent)}.m-action path{fill:var(--accent)}
.marker circle{fill:var(--purple)}.marker[class*="m-exp"] line{stroke:var(--purple)}
.m-exp-promoted circle{fill:var(--good)}.m-exp-rolled_back circle{fill:var(--bad)}.m-exp-inconclusive circle{fill:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:4px 12px;font-size:12px;color:var(--muted)}
.legend i{display:inline-block;width:12px;height:3px;margin-right:5px;vertical-align:middle;border-radius:2px}
.rules{margin-top:10px}.rules summary{cursor:pointer;color:var(--muted);font-size:13px}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;border-bottom:1px solid var(--line);padding:5px 8px}
td{border-bottom:1px solid #eaeef2;padding:5px 8px;vertical-align:top;font-variant-numeric:tabular-nums}
tr.row-bad td{background:var(--bad-bg)}tr.row-warn td{background:var(--warn-bg)}
.scroll{overflow-x:auto}
.nowrap{white-space:nowrap}
.experiments{display:grid;grid-template-columns:repeat(auto-fill,minmax(420px,1fr));gap:14px}
.experiments .card{margin:0}
.arms{display:flex;align-items:stretch;gap:10px;margin-bottom:8px}
.arm{flex:1;border:1px solid var(--line);border-radius:6px;padding:6px 10px;min-width:0}
.arm-name{font-weight:600;word-break:break-all}
.vs{align-self:center;color:var(--muted);font-size:12px}
.ramp-bar{height:8px;background:#eaeef2;border-radius:4px;overflow:hidden}
.ramp-fill{height:100%;background:var(--purple)}
.reason{margin:8px 0;font-size:13px}
.muted{color:var(--muted)}.small-id{font-size:11px;margin-top:6px;word-break:break-all}
.log td:nth-child(4){min-width:260px}
@media (max-width:760px){
  main{padding:12px 10px 30px}.charts{grid-template-columns:minmax(0,1fr)}.experiments{grid-template-columns:minmax(0,1fr)}
  .badges{margin-left:0}.kpis{grid-template-columns:repeat(2,minmax(0,1fr))}.kpi-value{font-size:17px}
  .top{position:static}
}
@media (max-width:520px){.mini-charts{grid-template-columns:minmax(0,1fr)}.chart-box.small .chart .axis,.chart-box.small .chart .target-label{font-size:16px}}
@media print{
  body{background:#fff;font-size:12px}.top{position:static;background:#fff;color:#000;border-bottom:2px solid #000}.sub,.status{color:#000}
  main{max-width:none;padding:0}.card,.tile,.chart-box{break-inside:avoid;border-color:#999}
  .route{break-inside:auto}.charts{break-inside:avoid}.rules{display:none}.experiments{display:block}.experiments .card{margin-bottom:10px}
  .scroll{overflow:visible}
}
`;
