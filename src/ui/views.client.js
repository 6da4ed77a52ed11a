// promptpilot's dashboard and report views: plain browser JavaScript, inlined into the page by src/ui/page.ts
// (no build step, no request leaving the page but its own API calls). Every piece of data is written with
// textContent / setAttribute, never parsed as HTML: route names and reasons come from telemetry.
'use strict';
(function () {
  var SVG = 'http://www.w3.org/2000/svg';
  var COLORS = { p50: '#8c959f', p95: '#0969da', p99: '#8250df', target: '#cf222e', good: '#1a7f37', warn: '#9a6700', bad: '#cf222e' };
  var LINE_COLORS = ['#0969da', '#bc4c00', '#1a7f37', '#8250df', '#bf3989', '#6e7781'];
  // Metric names and units: src/core/metricWords.ts, inlined by the page as JSON (one table for pages, logs and alerts).
  var METRIC_WORDS = JSON.parse(document.getElementById('metric-words').textContent || '{}');

  // ---------- formatting ----------
  function fmtNum(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    var a = Math.abs(v);
    if (a >= 1000) return Math.round(v).toLocaleString('en-US');
    if (a >= 100) return v.toFixed(0);
    if (a >= 10) return v.toFixed(1);
    if (a >= 1) return v.toFixed(2);
    return a === 0 ? '0' : v.toPrecision(3);
  }
  // A count (calls, an arm's n): a whole number, never "3.00".
  function fmtCount(v) {
    return v === null || v === undefined || !isFinite(v) ? '–' : Math.round(v).toLocaleString('en-US');
  }
  function fmtMs(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    return Math.abs(v) >= 1000 ? (v / 1000).toFixed(2) + ' s' : Math.round(v) + ' ms';
  }
  function fmtUsd(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    return '$' + (Math.abs(v) >= 1 ? v.toFixed(2) : Math.abs(v) >= 0.01 ? v.toFixed(3) : v.toPrecision(2));
  }
  function fmtPct(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    return (v * 100).toFixed(v >= 0.995 || v < 0.1 ? 2 : 1) + ' %';
  }
  var UNIT_FORMAT = { ms: fmtMs, pct: fmtPct, usd: fmtUsd, num: fmtNum };
  function fmtMetric(metric, v) {
    var words = METRIC_WORDS[metric];
    return ((words && UNIT_FORMAT[words.unit]) || fmtNum)(v);
  }
  function label(metric) {
    return METRIC_WORDS[metric] ? METRIC_WORDS[metric].name : String(metric).replace(/_/g, ' ');
  }
  function words(s) {
    return String(s).replace(/_/g, ' ');
  }
  function pad(n) {
    return n < 10 ? '0' + n : String(n);
  }
  function fmtTime(ms, withDate) {
    if (typeof ms !== 'number' || !isFinite(ms)) return '–';
    var d = new Date(ms);
    var hm = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
    return withDate ? d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate()) + ' ' + hm : hm;
  }
  function fmtDuration(ms) {
    if (!isFinite(ms) || ms < 0) return '–';
    var m = Math.round(ms / 60000);
    return m < 120 ? m + ' min' : (m / 60).toFixed(1) + ' h';
  }

  // ---------- DOM helpers ----------
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]);
    append(node, children);
    return node;
  }
  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG, tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, String(attrs[k]));
    append(node, children);
    return node;
  }
  function append(node, children) {
    if (children === undefined || children === null) return;
    if (!Array.isArray(children)) children = [children];
    for (var i = 0; i < children.length; i++) {
      var c = children[i];
      if (c === null || c === undefined || c === false) continue;
      node.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
  }

  // ---------- judging a metric against its target ----------
  // 'good' | 'warn' | 'bad' | 'none' for the value of one variant (the one a card shows): bad when a rule on
  // it fires for that variant, warn when pending or past the target. A candidate's firing rule is the
  // candidate's news (its badge and chart), not a red card over the serving variant's healthy value.
  function health(route, metric, value, variant) {
    if (value === null || value === undefined) return 'none';
    var active = (route.active || []).filter(function (a) { return a.metric === metric && (variant === undefined || a.variant === variant); });
    if (active.some(function (a) { return a.state === 'firing'; })) return 'bad';
    if (active.length > 0) return 'warn';
    var target = route.targets ? route.targets[metric] : undefined;
    if (typeof target !== 'number') return 'none';
    var higherIsBetter = metric === 'accuracy' || metric === 'consistency';
    return (higherIsBetter ? value < target : value > target) ? 'warn' : 'good';
  }

  function servingStats(route) {
    var vs = route.variants || [];
    var name = route.serving ? route.serving.variant : null;
    for (var i = 0; i < vs.length; i++) if (vs[i].variant === name) return vs[i];
    return vs[0] || null;
  }

  function kpi(route, stats, metric, value, targetKey) {
    var target = route.targets ? route.targets[targetKey || metric] : undefined;
    var h = metric === 'error_rate' ? (value === null || value === undefined ? 'none' : value > 0.05 ? 'warn' : 'good') : health(route, metric, value, stats ? stats.variant : undefined);
    return el('div', { class: 'kpi ' + h }, [
      el('div', { class: 'kpi-label' }, label(metric)),
      el('div', { class: 'kpi-value' }, fmtMetric(metric, value)),
      el('div', { class: 'kpi-target' }, typeof target === 'number' ? 'target ' + fmtMetric(metric, target) : metric === 'error_rate' ? 'of ' + fmtCount(stats ? stats.count : 0) + (stats && stats.count === 1 ? ' call' : ' calls') : '\u00a0'),
    ]);
  }

  // ---------- decisions in plain words ----------
  function describe(d) {
    if (d.type === 'trigger') {
      if (d.state === 'firing' && d.evidence && typeof d.evidence.stage === 'string') return label(d.metric) + ' of stage ' + words(d.evidence.stage) + ' ' + fmtMetric(d.metric, d.value) + ' above its share ' + fmtMetric(d.metric, d.threshold) + ' on ' + d.variant + ' — ' + words(d.rule) + ' fires (' + d.severity + ')';
      if (d.state === 'firing') return label(d.metric) + ' ' + fmtMetric(d.metric, d.value) + (d.metric === 'accuracy' || d.metric === 'consistency' || d.metric === 'srm_p_value' ? ' below ' : ' above ') + fmtMetric(d.metric, d.threshold) + ' on ' + d.variant + ' — ' + words(d.rule) + ' fires (' + d.severity + ')';
      if (d.evidence && d.evidence.reason === 'no_traffic') return words(d.rule) + ' resolved: ' + d.variant + ' stopped receiving traffic';
      return label(d.metric) + ' back to ' + fmtMetric(d.metric, d.value) + ' on ' + d.variant + ' — ' + words(d.rule) + ' resolved';
    }
    if (d.type === 'action') {
      if (d.status === 'skipped') return words(d.kind) + ' not taken: ' + d.reason;
      var from = d.from ? (d.from.pattern ? words(d.from.pattern) : d.from.variant) : '?';
      var to = d.to ? (d.to.pattern && d.to.pattern !== (d.from && d.from.pattern) ? words(d.to.pattern) : d.to.variant) : '?';
      return words(d.kind) + ': ' + from + ' → ' + to + ' (because ' + words(d.rule) + ')';
    }
    if (d.type === 'experiment') {
      var arms = (d.candidate ? d.candidate.variant : '?') + ' vs ' + (d.baseline ? d.baseline.variant : '?');
      if (d.status === 'started') return 'experiment started: ' + arms + (typeof d.share === 'number' ? ' at ' + Math.round(d.share * 100) + ' % of traffic' : '');
      return 'experiment ' + words(d.status) + ': ' + (d.reason || arms);
    }
    if (d.type === 'config') return 'configuration ' + d.status + (d.reason ? ': ' + d.reason : '');
    if (d.type === 'trend') {
      var m = d.metrics || {};
      return 'weekly trend from ' + fmtTime(d.week_start, true).slice(0, 10) + ': ' + ['latency_p95_ms', 'cost_per_task_usd', 'spend_usd'].map(function (k) {
        return (TREND_WORDS[k] || k) + ' ' + trendCell(k, m[k]);
      }).join(', ');
    }
    return d.type;
  }
  function decisionClass(d) {
    if (d.type === 'trigger') return d.state === 'firing' ? (d.severity === 'critical' ? 'bad' : d.severity === 'info' ? 'info' : 'warn') : 'good';
    if (d.type === 'action') return d.status === 'skipped' ? 'muted' : 'accent';
    if (d.type === 'experiment') return d.status === 'promoted' ? 'good' : d.status === 'rolled_back' ? 'bad' : d.status === 'started' ? 'purple' : 'muted';
    return 'muted';
  }

  // ---------- charts ----------
  function niceStep(raw) {
    if (!(raw > 0) || !isFinite(raw)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var f = raw / p;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  }

  // A line chart in a viewBox (scales with its box): lines, an optional dashed target, decision markers.
  function chart(opts) {
    // In a narrow window every chart takes the compact geometry, so its text stays legible.
    if (window.innerWidth < 560) opts = Object.assign({}, opts, { small: true });
    var W = opts.small ? 340 : 640, H = opts.small ? 170 : 220, L = opts.small ? 74 : 60, R = 10, T = 14, B = 22;
    var lines = opts.lines.filter(function (l) { return l.points.length > 0; });
    var x0 = opts.x0, x1 = opts.x1;
    if (!(x1 > x0)) x1 = x0 + 60000;
    var ys = [];
    lines.forEach(function (l) { l.points.forEach(function (p) { if (p[1] !== null && isFinite(p[1])) ys.push(p[1]); }); });
    var dataMax = Math.max.apply(null, ys.length ? ys : [0]);
    // A target far above the data would flatten it: then the caption names it instead of the scale.
    var targetShown = typeof opts.target === 'number' && (ys.length === 0 || opts.target <= 3 * dataMax || opts.ceil !== undefined);
    if (targetShown) ys.push(opts.target);
    var lo = opts.floor !== undefined ? opts.floor : Math.min.apply(null, ys.length ? ys : [0]);
    var hi = Math.max.apply(null, ys.length ? ys : [1]);
    if (opts.floor === undefined) lo = Math.max(0, lo - (hi - lo) * 0.15);
    if (hi <= lo) hi = lo + (lo === 0 ? 1 : Math.abs(lo) * 0.1);
    // Round numbers on the axis: a step of 1, 2, 2.5 or 5 × 10^k, the range widened to whole steps.
    var step = niceStep((hi - lo) / 3);
    lo = Math.floor(lo / step) * step;
    hi = Math.ceil((hi + (hi - lo) * 0.04) / step) * step;
    if (opts.ceil !== undefined && hi > opts.ceil) hi = Math.max(opts.ceil, lo + step);
    var sx = function (t) { return L + ((t - x0) / (x1 - x0)) * (W - L - R); };
    var sy = function (v) { return T + (1 - (v - lo) / (hi - lo)) * (H - T - B); };
    var root = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, class: 'chart', role: 'img', 'aria-label': opts.title });
    for (var v = lo; v <= hi + step / 1000; v += step) {
      var y = sy(v);
      root.appendChild(svg('line', { x1: L, x2: W - R, y1: y, y2: y, class: 'grid' }));
      root.appendChild(svg('text', { x: L - 6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, opts.fmt(v)));
    }
    // The live page writes the date too when the chart is not of today (UTC): a route's old traffic read "14:51" as if it were now.
    var withDate = (opts.withDate || Math.floor(opts.x1 / 86400000) !== Math.floor(Date.now() / 86400000)) && !opts.small;
    root.appendChild(svg('text', { x: L, y: H - 6, class: 'axis' }, fmtTime(x0, withDate)));
    root.appendChild(svg('text', { x: W - R, y: H - 6, class: 'axis', 'text-anchor': 'end' }, fmtTime(x1, withDate) + (opts.small ? '' : ' UTC')));
    if (targetShown && opts.target >= lo && opts.target <= hi) {
      var ty = sy(opts.target);
      root.appendChild(svg('line', { x1: L, x2: W - R, y1: ty, y2: ty, class: 'target' }));
      root.appendChild(svg('text', { x: W - R - 2, y: ty - 4, class: 'target-label', 'text-anchor': 'end' }, 'target ' + opts.fmt(opts.target)));
    }
    (opts.markers || []).forEach(function (m) {
      if (m.t < x0 || m.t > x1) return;
      if (m.metric && opts.metrics && opts.metrics.indexOf(m.metric) < 0) return;
      var mx = sx(m.t);
      var g = svg('g', { class: 'marker ' + m.cls }, [svg('title', null, fmtTime(m.t, true) + ' UTC — ' + m.text)]);
      g.appendChild(svg('line', { x1: mx, x2: mx, y1: T, y2: H - B }));
      g.appendChild(m.shape === 'diamond'
        ? svg('path', { d: 'M' + mx + ' ' + (T - 5) + ' l5 5 l-5 5 l-5 -5 z' })
        : m.shape === 'circle' ? svg('circle', { cx: mx, cy: T, r: 4.5 }) : svg('path', { d: 'M' + (mx - 5) + ' ' + (T - 5) + ' h10 l-5 9 z' }));
      root.appendChild(g);
    });
    lines.forEach(function (l) {
      var d = '';
      var pen = false;
      l.points.forEach(function (p) {
        if (p[1] === null || !isFinite(p[1])) { pen = false; return; }
        var py = sy(Math.min(Math.max(p[1], lo), hi));
        d += (pen ? 'L' : 'M') + sx(p[0]).toFixed(1) + ' ' + py.toFixed(1);
        pen = true;
      });
      root.appendChild(svg('path', { d: d, class: 'line', stroke: l.color, 'stroke-dasharray': l.dash || null }));
    });
    var legend = el('div', { class: 'legend' }, lines.map(function (l) {
      return el('span', null, [el('i', { style: 'background:' + l.color }), l.name]);
    }));
    if (lines.length === 0) root.appendChild(svg('text', { x: W / 2, y: H / 2, class: 'axis', 'text-anchor': 'middle' }, 'no data yet'));
    var caption = opts.title + (typeof opts.target === 'number' && !targetShown ? ' · target ' + opts.fmt(opts.target) : '');
    return el('figure', { class: 'chart-box' + (opts.small ? ' small' : '') }, [el('figcaption', null, caption), root, lines.length > 1 ? legend : null]);
  }

  function markersFor(route, decisions) {
    var out = [];
    decisions.forEach(function (d) {
      if (d.route !== route) return;
      if (d.type === 'trigger') out.push({ t: d.ts, metric: d.metric, cls: d.state === 'firing' ? 'm-fire' : 'm-resolve', shape: 'triangle', text: describe(d) });
      else if (d.type === 'action' && d.status !== 'skipped') out.push({ t: d.ts, cls: 'm-action', shape: 'diamond', text: describe(d) });
      else if (d.type === 'experiment') out.push({ t: d.ts, cls: 'm-exp-' + d.status, shape: 'circle', text: describe(d) });
    });
    return out;
  }

  function routeCharts(route, series, decisions, withDate) {
    var variants = (series && series.variants) || [];
    var x0 = Infinity, x1 = -Infinity;
    variants.forEach(function (v) { v.points.forEach(function (p) { x0 = Math.min(x0, p.t); x1 = Math.max(x1, p.t); }); });
    if (!isFinite(x0)) { x0 = route.watermark || 0; x1 = x0 + 60000; }
    var markers = markersFor(route.route, decisions);
    var serving = route.serving ? route.serving.variant : null;
    var main = variants.filter(function (v) { return v.variant === serving; })[0] || variants[0];
    var pick = function (v, key) { return v.points.map(function (p) { return [p.t, p[key]]; }); };
    var latencyLines = [];
    if (main) {
      latencyLines.push({ name: main.variant + ' p95', color: COLORS.p95, points: pick(main, 'p95') });
      latencyLines.push({ name: main.variant + ' p99', color: COLORS.p99, points: pick(main, 'p99'), dash: '5 3' });
    }
    variants.forEach(function (v, i) {
      if (v !== main) latencyLines.push({ name: v.variant + ' p95', color: LINE_COLORS[(i + 1) % LINE_COLORS.length], points: pick(v, 'p95') });
    });
    var perVariant = function (key) {
      return variants.map(function (v, i) { return { name: v.variant, color: v === main ? COLORS.p95 : LINE_COLORS[(i + 1) % LINE_COLORS.length], points: pick(v, key) }; });
    };
    var t = route.targets || {};
    var base = { x0: x0, x1: x1, markers: markers, withDate: withDate };
    return el('div', { class: 'charts' }, [
      chart(Object.assign({ title: 'latency p95 / p99', lines: latencyLines, target: t.latency_p95_ms, fmt: fmtMs, floor: 0, metrics: ['latency_p95_ms', 'latency_p99_ms', 'latency_p50_ms'] }, base)),
      el('div', { class: 'mini-charts' }, [
        chart(Object.assign({ title: 'cost per task', lines: perVariant('cost_per_task_usd'), target: t.cost_per_task_usd, fmt: fmtUsd, floor: 0, small: true, metrics: ['cost_per_task_usd'] }, base)),
        chart(Object.assign({ title: 'tokens per quality point', lines: perVariant('tokens_per_quality_point'), target: t.tokens_per_quality_point, fmt: fmtNum, floor: 0, small: true, metrics: ['tokens_per_quality_point'] }, base)),
        chart(Object.assign({ title: 'accuracy', lines: perVariant('accuracy'), target: t.accuracy, fmt: fmtPct, ceil: 1, small: true, metrics: ['accuracy', 'consistency'] }, base)),
        chart(Object.assign({ title: 'error rate', lines: perVariant('error_rate'), fmt: fmtPct, floor: 0, small: true, metrics: ['error_rate'] }, base)),
      ]),
    ]);
  }

  // ---------- sections ----------
  function routeCard(route, series, decisions, withDate) {
    var stats = servingStats(route);
    var firing = (route.active || []).filter(function (a) { return a.state === 'firing'; });
    var pending = (route.active || []).filter(function (a) { return a.state === 'pending'; });
    var badges = [];
    firing.forEach(function (a) { badges.push(el('span', { class: 'badge ' + (a.severity === 'critical' ? 'bad' : a.severity === 'info' ? 'info' : 'warn'), title: label(a.metric) + ' ' + fmtMetric(a.metric, a.value) + ' vs ' + fmtMetric(a.metric, a.threshold) + ' on ' + a.variant }, words(a.rule))); });
    pending.forEach(function (a) { badges.push(el('span', { class: 'badge pending', title: 'condition holds since ' + fmtTime(a.since, true) + ' UTC, not yet for long enough' }, words(a.rule) + ' (pending)')); });
    if (route.experiment) badges.push(el('span', { class: 'badge purple' }, 'experiment ' + Math.round(route.experiment.share * 100) + ' %'));
    if (badges.length === 0) badges.push(el('span', { class: 'badge good' }, 'healthy'));
    var serving = route.serving ? route.serving.variant + (route.serving.pattern ? ' · ' + words(route.serving.pattern) : '') : 'unknown';
    var lat = stats && stats.latency_ms;
    return el('section', { class: 'card route', 'data-route': route.route }, [
      el('header', { class: 'route-head' }, [
        el('h3', null, route.route),
        el('span', { class: 'serving', title: 'what /v1/assign serves outside an experiment' }, 'serving ' + serving),
        el('span', { class: 'badges' }, badges),
      ]),
      el('div', { class: 'kpis' }, [
        kpi(route, stats, 'latency_p95_ms', lat ? lat.p95 : null),
        kpi(route, stats, 'latency_p99_ms', lat ? lat.p99 : null),
        kpi(route, stats, 'cost_per_task_usd', stats ? stats.cost_per_task_usd : null),
        kpi(route, stats, 'tokens_per_quality_point', stats ? stats.tokens_per_quality_point : null),
        kpi(route, stats, 'accuracy', stats ? stats.accuracy : null),
        kpi(route, stats, 'error_rate', stats ? stats.error_rate : null),
      ]),
      routeCharts(route, series, decisions, withDate),
      rulesTable(route),
    ]);
  }

  function rulesTable(route) {
    var rules = route.rules || [];
    if (rules.length === 0) return null;
    var rows = rules.map(function (r) {
      return el('tr', { class: r.state === 'firing' ? 'row-bad' : r.state === 'pending' ? 'row-warn' : null }, [
        el('td', null, words(r.rule)),
        el('td', null, label(r.metric) + (r.op === 'gt' ? ' > ' : ' < ') + (r.threshold === null ? 'baseline (learning)' : fmtMetric(r.metric, r.threshold))),
        el('td', null, r.threshold_from && r.threshold_from.kind === 'target' ? 'target ' + (r.threshold_from.margin_pct ? (r.op === 'gt' ? '+' : '−') + r.threshold_from.margin_pct + ' %' : '') : r.threshold_from && r.threshold_from.kind === 'baseline' ? 'baseline ' + (r.op === 'gt' ? '+' : '−') + r.threshold_from.margin_pct + ' %' : 'fixed'),
        el('td', null, r.state + (r.state === 'firing' && r.value !== null ? ' at ' + fmtMetric(r.metric, r.value) : '')),
        el('td', null, r.action ? words(r.action) : 'alert'),
      ]);
    });
    return el('details', { class: 'rules' }, [
      el('summary', null, 'rules and effective thresholds'),
      el('div', { class: 'scroll' }, el('table', null, [el('thead', null, el('tr', null, ['rule', 'condition', 'threshold from', 'state', 'does'].map(function (h) { return el('th', null, h); }))), el('tbody', null, rows)])),
    ]);
  }

  function experimentCard(x) {
    var statusCls = x.status === 'promoted' ? 'good' : x.status === 'rolled_back' ? 'bad' : x.status === 'running' ? 'purple' : 'muted';
    var arm = function (ref, name) {
      return el('div', { class: 'arm' }, [el('div', { class: 'kpi-label' }, name), el('div', { class: 'arm-name' }, ref.variant), el('div', { class: 'kpi-target' }, [ref.pattern ? words(ref.pattern) : null, ref.tier ? ' · ' + ref.tier : null])]);
    };
    var ramp = x.ramp || [];
    var rampSteps = el('div', { class: 'ramp' }, [
      el('div', { class: 'ramp-bar' }, el('div', { class: 'ramp-fill', style: 'width:' + Math.max(2, Math.round(x.share * 100)) + '%' })),
      el('div', { class: 'kpi-target' }, 'candidate share ' + Math.round(x.share * 100) + ' %' + (ramp.length > 1 ? ' · ramp ' + ramp.map(function (r) { return Math.round(r[1] * 100) + ' %'; }).join(' → ') : '')),
    ]);
    var evidence = Object.keys(x.evidence || {}).sort().map(function (metric) {
      var e = x.evidence[metric];
      var ci = Array.isArray(e.ci) ? '[' + (e.ci[0] === null ? '−∞' : fmtNum(e.ci[0] * (e.unit === 'points' ? 100 : 100))) + ', ' + (e.ci[1] === null ? '+∞' : fmtNum(e.ci[1] * 100)) + ']' + (e.unit === 'points' ? ' pts' : ' %') : '–';
      var delta = typeof e.delta === 'number' ? (e.delta >= 0 ? '+' : '') + fmtNum(e.delta * 100) + (e.unit === 'points' ? ' pts' : ' %') : '–';
      return el('tr', null, [
        el('td', null, label(metric)),
        el('td', null, fmtMetric(metric, e.baseline)),
        el('td', null, fmtMetric(metric, e.candidate)),
        el('td', null, delta),
        el('td', null, ci),
        el('td', null, typeof e.p === 'number' ? fmtNum(e.p) : '–'),
      ]);
    });
    var n = x.n || [0, 0];
    return el('section', { class: 'card experiment', 'data-experiment': x.id }, [
      el('header', { class: 'route-head' }, [
        el('h3', null, x.route),
        el('span', { class: 'serving' }, words(x.kind)),
        el('span', { class: 'badges' }, el('span', { class: 'badge ' + statusCls }, words(x.status))),
      ]),
      el('div', { class: 'arms' }, [arm(x.baseline, 'baseline · n ' + fmtCount(n[0])), el('div', { class: 'vs' }, 'vs'), arm(x.candidate, 'candidate · n ' + fmtCount(n[1]))]),
      rampSteps,
      x.reason ? el('p', { class: 'reason' }, x.reason) : el('p', { class: 'reason muted' }, 'started ' + fmtTime(x.started_at, true) + ' UTC · decides by ' + fmtTime(x.deadline, true) + ' UTC (' + fmtDuration(x.deadline - x.started_at) + ')'),
      evidence.length > 0 ? el('div', { class: 'scroll' }, el('table', { class: 'evidence' }, [
        el('thead', null, el('tr', null, ['metric', 'baseline', 'candidate', 'change', 'confidence interval', 'p'].map(function (h) { return el('th', null, h); }))),
        el('tbody', null, evidence),
      ])) : null,
      el('div', { class: 'muted small-id' }, x.id),
    ]);
  }

  function decisionRows(decisions, limit) {
    var rows = [];
    for (var i = decisions.length - 1; i >= 0 && rows.length < limit; i--) {
      var d = decisions[i];
      rows.push(el('tr', null, [
        el('td', { class: 'nowrap' }, fmtTime(d.ts, true)),
        el('td', null, el('span', { class: 'badge ' + decisionClass(d) }, d.type === 'trigger' ? d.state : d.type === 'action' ? (d.status === 'skipped' ? 'skipped' : 'action') : d.type === 'experiment' ? words(d.status) : d.type)),
        el('td', { class: 'nowrap' }, d.route || ''),
        el('td', null, describe(d)),
      ]));
    }
    if (rows.length === 0) rows.push(el('tr', null, el('td', { colspan: '4', class: 'muted' }, 'no decisions yet')));
    return el('div', { class: 'scroll' }, el('table', { class: 'log' }, [
      el('thead', null, el('tr', null, ['time (UTC)', '', 'route', 'what and why'].map(function (h) { return el('th', null, h); }))),
      el('tbody', null, rows),
    ]));
  }

  function summaryTiles(routes, experiments, decisions) {
    var firing = 0;
    routes.forEach(function (r) { (r.active || []).forEach(function (a) { if (a.state === 'firing') firing++; }); });
    var count = function (status) { return experiments.filter(function (x) { return x.status === status; }).length; };
    var tile = function (value, text, cls) { return el('div', { class: 'tile ' + (cls || '') }, [el('div', { class: 'tile-value' }, String(value)), el('div', { class: 'kpi-label' }, text)]); };
    return [
      tile(routes.length, 'routes'),
      tile(firing, 'rules firing', firing > 0 ? 'bad' : 'good'),
      tile(count('running'), 'experiments running', count('running') > 0 ? 'purple' : ''),
      tile(count('promoted'), 'promoted', 'good'),
      tile(count('rolled_back'), 'rolled back'),
      tile(decisions.length, 'decisions'),
    ];
  }

  // The report's first table: what happened on each route over the whole run.
  function routeSummary(routes, decisions, experiments) {
    var rows = routes.map(function (r) {
      var mine = decisions.filter(function (d) { return d.route === r.route; });
      var fired = mine.filter(function (d) { return d.type === 'trigger' && d.state === 'firing'; }).length;
      var actions = mine.filter(function (d) { return d.type === 'action' && d.status !== 'skipped'; }).length;
      var outcomes = experiments.filter(function (x) { return x.route === r.route; }).map(function (x) { return words(x.status); });
      var stats = servingStats(r);
      var lat = stats && stats.latency_ms;
      return el('tr', null, [
        el('td', null, r.route),
        el('td', null, r.serving ? r.serving.variant + (r.serving.pattern ? ' (' + words(r.serving.pattern) + ')' : '') : '–'),
        el('td', null, String(fired)),
        el('td', null, String(actions)),
        el('td', null, outcomes.length ? outcomes.join(', ') : 'none'),
        el('td', { class: 'nowrap' }, fmtMs(lat ? lat.p95 : null) + ' / ' + fmtMs(r.targets ? r.targets.latency_p95_ms : null)),
        el('td', { class: 'nowrap' }, fmtUsd(stats ? stats.cost_per_task_usd : null)),
        el('td', { class: 'nowrap' }, fmtPct(stats ? stats.accuracy : null)),
      ]);
    });
    return el('section', { class: 'card', id: 'route-summary' }, [
      el('div', { class: 'kpi-label' }, 'per-route summary (last window at the end of the run)'),
      el('div', { class: 'scroll' }, el('table', null, [
        el('thead', null, el('tr', null, ['route', 'serving at the end', 'triggers fired', 'actions', 'experiments', 'p95 / target', 'cost per task', 'accuracy'].map(function (h) { return el('th', null, h); }))),
        el('tbody', null, rows),
      ])),
    ]);
  }

  // ---------- weekly trend: one row per route and week (trend records from the decision log) ----------
  var TREND_WORDS = { latency_p95_ms: 'p95', cost_per_task_usd: 'cost per task', tokens_per_quality_point: 'tokens per quality point', accuracy: 'accuracy', error_rate: 'error rate', spend_usd: 'spend', calls: 'calls' };
  var TREND_KEYS = Object.keys(TREND_WORDS);
  // Direction that is bad news, per figure (null: neither).
  var TREND_WORSE = { latency_p95_ms: 1, cost_per_task_usd: 1, tokens_per_quality_point: 1, accuracy: -1, error_rate: 1, spend_usd: 1, calls: null };
  function fmtTrendValue(key, v) {
    if (key === 'latency_p95_ms') return fmtMs(v);
    if (key === 'cost_per_task_usd' || key === 'spend_usd') return fmtUsd(v);
    if (key === 'accuracy' || key === 'error_rate') return fmtPct(v);
    return fmtNum(v);
  }
  function trendCell(key, t) {
    if (!t) return '–';
    var delta = typeof t.delta_pct === 'number' ? ' (' + (t.delta_pct >= 0 ? '+' : '') + t.delta_pct.toFixed(1) + ' %)' : '';
    return fmtTrendValue(key, t.current) + delta;
  }
  function trendTable(trends) {
    var rows = trends.map(function (d) {
      var budget = d.response_time_budget || {};
      return el('tr', { 'data-trend-route': d.route }, [
        el('td', null, d.route),
        el('td', { class: 'nowrap' }, fmtTime(d.week_start, true).slice(0, 10)),
      ].concat(TREND_KEYS.map(function (k) {
        var t = (d.metrics || {})[k];
        var worse = TREND_WORSE[k];
        var cls = t && typeof t.delta_pct === 'number' && worse !== null && Math.abs(t.delta_pct) >= 5 ? (t.delta_pct * worse > 0 ? 'bad' : 'good') : '';
        return el('td', { class: 'nowrap ' + cls }, trendCell(k, t));
      })).concat([el('td', null, budget.p95_within === true ? 'yes' : budget.p95_within === false ? 'no' : '–')]));
    });
    return el('section', { class: 'card', id: 'weekly-trend' }, [
      el('div', { class: 'kpi-label' }, 'weekly trend per route (UTC weeks from Monday; change against the week before)'),
      el('div', { class: 'scroll' }, el('table', null, [
        el('thead', null, el('tr', null, ['route', 'week of'].concat(TREND_KEYS.map(function (k) { return TREND_WORDS[k]; })).concat(['p95 within response-time budget']).map(function (h) { return el('th', null, h); }))),
        el('tbody', null, rows),
      ])),
    ]);
  }

  function routeOrder(a, b) {
    var score = function (r) { return (r.active || []).filter(function (x) { return x.state === 'firing'; }).length * 2 + (r.experiment ? 1 : 0); };
    return score(b) - score(a) || (a.route < b.route ? -1 : a.route > b.route ? 1 : 0);
  }

  /** Renders everything into the page's containers from one data snapshot. */
  function render(data, options) {
    var withDate = !!options.withDate;
    var routes = data.routes.slice().sort(routeOrder);
    var shown = routes.slice(0, options.maxRoutes || routes.length);
    document.getElementById('summary').replaceChildren.apply(document.getElementById('summary'), summaryTiles(data.routes, data.experiments, data.decisions));
    var routesBox = document.getElementById('routes');
    var cards = shown.map(function (r) { return routeCard(r, data.series[r.route], data.decisions, withDate); });
    var trends = data.decisions.filter(function (d) { return d.type === 'trend'; }).sort(function (a, b) { return a.route < b.route ? -1 : a.route > b.route ? 1 : a.week_start - b.week_start; });
    if (trends.length > 0) cards.unshift(trendTable(trends));
    if (options.summaryTable && routes.length > 0) cards.unshift(routeSummary(routes, data.decisions, data.experiments));
    routesBox.replaceChildren.apply(routesBox, cards.length ? cards : [el('p', { class: 'muted' }, 'No routes yet: send events to POST /v1/events, OTLP to /v1/traces, or start with the simulator on.')]);
    if (routes.length > shown.length) routesBox.appendChild(el('p', { class: 'muted' }, (routes.length - shown.length) + ' more routes: GET /v1/routes lists them all.'));
    var xs = data.experiments.slice(0, options.maxExperiments || data.experiments.length);
    var expBox = document.getElementById('experiments');
    expBox.replaceChildren.apply(expBox, xs.length ? xs.map(experimentCard) : [el('p', { class: 'muted' }, 'No experiments yet: one starts when a rule with an action fires.')]);
    var logBox = document.getElementById('decisions');
    logBox.replaceChildren(decisionRows(data.decisions, options.maxDecisions || 200));
  }

  // ---------- live mode: poll the daemon's own API ----------
  function live(intervalMs) {
    var decisions = [];
    var next = 0;
    var status = document.getElementById('status');
    // With server.protect_templates the experiments and the decision log need the API token, which this page does
    // not have: it shows the routes and says so instead of failing as a whole.
    var locked = false;
    async function getJson(path, whenLocked) {
      var res = await fetch(path, { headers: { accept: 'application/json' }, cache: 'no-store' });
      if (whenLocked !== undefined && (res.status === 401 || res.status === 403)) {
        locked = true;
        return whenLocked;
      }
      if (!res.ok) throw new Error(path + ' answered ' + res.status);
      return res.json();
    }
    async function tick() {
      try {
        var routes = (await getJson('/v1/routes')).routes;
        var experiments = (await getJson('/v1/experiments', { experiments: [] })).experiments;
        for (var page = 0; page < 20; page++) {
          var log = await getJson('/v1/decisions?limit=1000&after=' + next, { decisions: [], next: next });
          decisions = decisions.concat(log.decisions);
          next = log.next;
          if (log.decisions.length < 1000) break;
        }
        if (decisions.length > 5000) decisions = decisions.slice(decisions.length - 5000);
        var shown = routes.slice().sort(routeOrder).slice(0, 20);
        var series = Object.create(null); // a route named __proto__ is an entry, not the prototype
        await Promise.all(shown.map(async function (r) { series[r.route] = await getJson('/v1/routes/' + encodeURIComponent(r.route) + '/series'); }));
        render({ routes: routes, experiments: experiments, decisions: decisions, series: series }, { maxRoutes: 20, maxExperiments: 12, maxDecisions: 200 });
        status.className = 'status ok';
        status.textContent = 'live · updated ' + new Date().toLocaleTimeString() + (locked ? ' · experiments and decisions need the API token (server.protect_templates)' : '');
        document.body.setAttribute('data-updates', String(Number(document.body.getAttribute('data-updates') || 0) + 1));
      } catch (err) {
        status.className = 'status bad';
        status.textContent = 'cannot reach the daemon (' + (err && err.message ? err.message : err) + '); retrying';
      }
      setTimeout(tick, intervalMs);
    }
    tick();
  }

  // ---------- static mode: a report with its data inside the page ----------
  function fromPage() {
    var data = JSON.parse(document.getElementById('report-data').textContent);
    render(data, { withDate: true, summaryTable: true, maxDecisions: 5000 });
    document.body.setAttribute('data-updates', '1');
  }

  window.promptpilot = { live: live, fromPage: fromPage };
})();
