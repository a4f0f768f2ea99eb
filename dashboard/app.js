// The dashboard page: filters and regroups the aggregates the generator embedded (dataset.py), draws the
// tiles, charts and tables with Chart.js, and keeps the view in the URL fragment so it can be shared.
"use strict";
(function () {
  performance.mark("app-start");
  const D = JSON.parse(document.getElementById("data").textContent);
  const CUSTOMER_PROPS = ["source", "country", "cohort", "coupon", "group"];
  const PROPS = [...CUSTOMER_PROPS, "product"];
  const LABEL = { source: "Source", country: "Country", cohort: "Cohort", coupon: "Initial coupon", group: "Group", product: "Product" };
  const MONTHS = D.months;
  const NM = MONTHS.length;
  const IP = D.inProgress; // the month of the as-of instant when it is not over, else -1
  const LATEST = NM - 1;
  const LAST_COMPLETE = IP >= 0 ? IP - 1 : LATEST; // -1: no complete month yet
  const SCALE = Math.pow(10, D.exponent);
  const TOP_GROUPS = 8;
  const COLORS = ["#4c6ef5", "#12b886", "#fab005", "#e64980", "#7950f2", "#15aabf", "#fd7e14", "#82c91e", "#868e96"];
  const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const charts = {};

  // ---- numbers as the page writes them ------------------------------------------------------------
  function money(minor) {
    if (minor === null || minor === undefined || Number.isNaN(minor)) return "—";
    const text = Math.abs(minor / SCALE).toLocaleString("en-US", { minimumFractionDigits: D.exponent, maximumFractionDigits: D.exponent });
    const shown = D.symbol ? D.symbol + text : D.currency + " " + text;
    return minor < 0 && /[1-9]/.test(text) ? "-" + shown : shown;
  }
  function shortMoney(minor) {
    const v = minor / SCALE;
    const a = Math.abs(v);
    const s = a >= 1e6 ? (a / 1e6).toFixed(1) + "M" : a >= 1e4 ? (a / 1e3).toFixed(0) + "k" : a.toFixed(0);
    return (v < 0 ? "-" : "") + (D.symbol || "") + s;
  }
  function percent(x, signed) {
    if (x === null || x === undefined || !Number.isFinite(x)) return "—";
    const s = (x * 100).toFixed(1) + "%";
    return signed && x >= 0 ? "+" + s : s;
  }
  function count(n) { return n === null || n === undefined ? "—" : Math.round(n).toLocaleString("en-US"); }
  function monthLabel(i) {
    const [y, m] = MONTHS[i].split("-");
    return MONTH_NAMES[Number(m) - 1] + " " + y + (i === IP ? " (MTD)" : "");
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }
  function dayLabel(d) {
    const first = new Date(MONTHS[0] + "-01T00:00:00Z");
    return new Date(first.getTime() + d * 86400000).toISOString().slice(0, 10);
  }
  function monthOfDay(d) {
    let lo = 0;
    let hi = NM - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (D.monthFirstDay[mid] <= d) lo = mid; else hi = mid - 1;
    }
    return lo;
  }
  const revMonth = D.rev.d.map(monthOfDay);

  // ---- state, kept in the URL fragment ------------------------------------------------------------
  const DEFAULTS = { range: "last12", from: "", to: "", interval: "month", unit: "mrr", bd: [], f: {}, notest: false, pq: "", gq: "" };
  let state = readHash();

  function readHash() {
    const s = JSON.parse(JSON.stringify(DEFAULTS));
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    for (const [k, v] of params) {
      if (k === "range" && document.querySelector('#range option[value="' + CSS.escape(v) + '"]')) s.range = v;
      else if (k === "from" && MONTHS.includes(v)) s.from = v;
      else if (k === "to" && MONTHS.includes(v)) s.to = v;
      else if (k === "interval" && (v === "month" || v === "day")) s.interval = v;
      else if (k === "unit" && (v === "mrr" || v === "arr")) s.unit = v;
      else if (k === "bd") s.bd = v.split(",").filter((p) => PROPS.includes(p)).slice(0, 2);
      else if (k === "notest") s.notest = v === "1";
      else if (k === "pq") s.pq = v;
      else if (k === "gq") s.gq = v;
      else if (k.startsWith("f.") && PROPS.includes(k.slice(2)) && D.props[k.slice(2)].includes(v)) {
        const prop = k.slice(2); // one parameter per value: f.country=US&f.country=DE
        s.f[prop] = [...(s.f[prop] || []).filter((x) => x !== v), v];
      }
    }
    if (s.range === "custom" && !(s.from && s.to)) s.range = DEFAULTS.range;
    return s;
  }
  function writeHash() {
    const p = new URLSearchParams();
    if (state.range !== DEFAULTS.range) p.set("range", state.range);
    if (state.range === "custom") { p.set("from", state.from); p.set("to", state.to); }
    if (state.interval !== "month") p.set("interval", state.interval);
    if (state.unit !== "mrr") p.set("unit", state.unit);
    if (state.bd.length) p.set("bd", state.bd.join(","));
    for (const prop of PROPS) for (const v of state.f[prop] || []) p.append("f." + prop, v);
    if (state.notest) p.set("notest", "1");
    if (state.pq) p.set("pq", state.pq);
    if (state.gq) p.set("gq", state.gq);
    const hash = p.toString();
    history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
  }

  // ---- the selection ------------------------------------------------------------------------------
  function monthRange() {
    const latestYear = MONTHS[LATEST].slice(0, 4);
    const lc = LAST_COMPLETE >= 0 ? LAST_COMPLETE : LATEST;
    const lastN = (n) => [Math.max(0, lc - n + 1), lc];
    switch (state.range) {
      case "mtd": return [LATEST, LATEST];
      case "last_month": return [lc, lc];
      case "last3": return lastN(3);
      case "last6": return lastN(6);
      case "last12": return lastN(12);
      case "ytd": {
        const first = MONTHS.findIndex((m) => m.startsWith(latestYear));
        return [first, LATEST];
      }
      case "prev_year": {
        const year = String(Number(latestYear) - 1);
        const inYear = MONTHS.map((m, i) => (m.startsWith(year) ? i : -1)).filter((i) => i >= 0);
        return inYear.length ? [inYear[0], inYear[inYear.length - 1]] : null;
      }
      case "custom": {
        const a = MONTHS.indexOf(state.from);
        const b = MONTHS.indexOf(state.to);
        return a >= 0 && b >= 0 ? [Math.min(a, b), Math.max(a, b)] : lastN(12);
      }
      default: return [0, LATEST];
    }
  }

  function segmentMask() {
    const n = D.seg.source.length;
    const mask = new Uint8Array(n);
    const sets = CUSTOMER_PROPS.filter((p) => state.f[p] && state.f[p].length).map((p) => [p, new Set(state.f[p])]);
    for (let s = 0; s < n; s++) {
      let ok = !(state.notest && D.seg.test[s]);
      for (const [p, set] of sets) if (ok && !set.has(D.props[p][D.seg[p][s]])) ok = false;
      mask[s] = ok ? 1 : 0;
    }
    return mask;
  }
  function productMask() {
    const chosen = state.f.product && state.f.product.length ? new Set(state.f.product) : null;
    return D.props.product.map((name) => (chosen ? chosen.has(name) : true));
  }
  // the breakdown label of a segment (and product, for revenue rows); product is dropped where the data has none
  function keyOf(s, p) {
    if (!state.bd.length) return "Total";
    const parts = [];
    for (const prop of state.bd) {
      if (prop === "product") { if (p >= 0) parts.push(D.props.product[p]); }
      else parts.push(D.props[prop][D.seg[prop][s]]);
    }
    return parts.length ? parts.join(" · ") : "Total";
  }
  function customerBreakdown() { return state.bd.some((p) => p !== "product"); }

  // sums `fields` of table `t` into buckets[key][bucket]; rows pass `rowOk`, bucket by `bucketOf`
  function aggregate(t, n, fields, bucketOf, rowOk, keyFn) {
    const out = new Map();
    const rows = t[fields[0]].length;
    for (let i = 0; i < rows; i++) {
      if (!rowOk(i)) continue;
      const b = bucketOf(i);
      if (b < 0 || b >= n) continue;
      const key = keyFn(i);
      let cells = out.get(key);
      if (!cells) { cells = fields.map(() => new Float64Array(n)); out.set(key, cells); }
      for (let f = 0; f < fields.length; f++) cells[f][b] += t[fields[f]][i];
    }
    return out;
  }
  function total(map, nFields, n) {
    const cells = Array.from({ length: nFields }, () => new Float64Array(n));
    for (const v of map.values()) for (let f = 0; f < nFields; f++) for (let b = 0; b < n; b++) cells[f][b] += v[f][b];
    return cells;
  }
  // the TOP_GROUPS keys with the largest absolute totals, the rest summed as "Other"
  function topKeys(map, field, weight) {
    const keys = [...map.keys()];
    const size = (k) => map.get(k)[field].reduce((a, v) => a + Math.abs(v), 0) * (weight || 1);
    keys.sort((a, b) => size(b) - size(a) || (a < b ? -1 : 1));
    if (keys.length <= TOP_GROUPS + 1) return { keys, other: [] };
    return { keys: keys.slice(0, TOP_GROUPS), other: keys.slice(TOP_GROUPS) };
  }
  function grouped(map, field, n) {
    const { keys, other } = topKeys(map, field);
    const series = keys.map((k) => ({ label: k, data: Array.from(map.get(k)[field]) }));
    if (other.length) {
      const sum = new Float64Array(n);
      for (const k of other) for (let b = 0; b < n; b++) sum[b] += map.get(k)[field][b];
      series.push({ label: "Other (" + other.length + ")", data: Array.from(sum) });
    }
    return series;
  }

  // everything the tiles, charts and tables show for the current state
  function compute() {
    const range = monthRange();
    const seg = segmentMask();
    const prod = productMask();
    const [m0, m1] = range || [0, -1];
    const nm = Math.max(0, m1 - m0 + 1);
    const monthBucket = (m) => (m >= m0 && m <= m1 ? m - m0 : -1);
    const revOk = (i) => seg[D.rev.s[i]] && prod[D.rev.p[i]];
    const revKey = (i) => keyOf(D.rev.s[i], D.rev.p[i]);
    const RF = ["g", "rf", "cn", "dp", "vd", "bd", "ot"];
    const revenue = aggregate(D.rev, nm, RF, (i) => monthBucket(revMonth[i]), revOk, revKey);
    // all products, for ARPU (paying customers are counted over every product)
    const revenueAll = aggregate(D.rev, NM, ["g"], (i) => revMonth[i], (i) => seg[D.rev.s[i]], () => "Total");
    const revenueSel = aggregate(D.rev, NM, ["g"], (i) => revMonth[i], revOk, () => "Total");
    let days = null;
    let daily = null;
    if (state.interval === "day" && nm) {
      const d0 = D.monthFirstDay[m0];
      const d1 = m1 + 1 < NM ? D.monthFirstDay[m1 + 1] : D.monthFirstDay[m1] + daysIn(MONTHS[m1]);
      days = [d0, d1];
      daily = aggregate(D.rev, d1 - d0, RF, (i) => D.rev.d[i] - d0, (i) => revOk(i) && D.rev.d[i] >= d0, revKey);
    }
    const MF = ["st", "nw", "ex", "co", "ch", "re", "fx", "en", "ac", "nc", "rc", "cc", "ec", "kc", "uc"];
    const mrrAll = aggregate(D.mrr, NM, MF, (i) => D.mrr.m[i], (i) => seg[D.mrr.s[i]], (i) => keyOf(D.mrr.s[i], -1));
    const SF = ["ac", "tr", "nw", "ch"];
    const subsAll = aggregate(D.subs, NM, SF, (i) => D.subs.m[i], (i) => seg[D.subs.s[i]], (i) => keyOf(D.subs.s[i], -1));
    const payAll = aggregate(D.pay, NM, ["n"], (i) => D.pay.m[i], (i) => seg[D.pay.s[i]], (i) => keyOf(D.pay.s[i], -1));
    return { range, m0, m1, nm, seg, prod, revenue, revenueAll, revenueSel, daily, days, mrrAll, subsAll, payAll, MF, SF };
  }
  function daysIn(ym) {
    const [y, m] = ym.split("-").map(Number);
    return new Date(Date.UTC(y, m, 0)).getUTCDate();
  }
  // month-level figures of the selection (all months, for growth and rates that look back)
  function monthly(c) {
    const mrr = total(c.mrrAll, c.MF.length, NM);
    const subs = total(c.subsAll, c.SF.length, NM);
    const pay = total(c.payAll, 1, NM)[0];
    const grossAll = total(c.revenueAll, 1, NM)[0];
    const grossSel = total(c.revenueSel, 1, NM)[0];
    const f = Object.fromEntries(c.MF.map((k, i) => [k, mrr[i]]));
    const sf = Object.fromEntries(c.SF.map((k, i) => [k, subs[i]]));
    const at = (m) => {
      const start = f.st[m];
      const atStart = m > 0 ? f.ac[m - 1] : 0;
      const denom = atStart + f.nc[m];
      const subChurn = denom > 0 ? f.cc[m] / denom : null;
      const arpu = pay[m] > 0 ? grossAll[m] / pay[m] : null;
      const prevGross = m > 0 ? grossSel[m - 1] : 0;
      const prevMrr = m > 0 ? f.en[m - 1] : 0;
      return {
        mrr: f.en[m], startMrr: start, fx: f.fx[m], active: f.ac[m], atStart, newCustomers: f.nc[m], churnedCustomers: f.cc[m],
        reactivated: f.rc[m], unconverted: f.uc[m], paying: pay[m], gross: grossSel[m], arpu,
        subscriberChurn: subChurn,
        mrrChurn: start > 0 ? (f.ch[m] + f.co[m]) / start : null,
        netMrrChurn: start > 0 ? (f.ch[m] + f.co[m] - f.ex[m] - f.re[m]) / start : null,
        nrr: start > 0 ? (start + f.ex[m] + f.re[m] - f.co[m] - f.ch[m]) / start : null,
        churnedRevenue: f.ch[m] + f.co[m],
        ltv: subChurn > 0 && arpu !== null ? arpu / subChurn : null,
        growth: prevGross > 0 ? (grossSel[m] - prevGross) / prevGross : null,
        mrrGrowth: prevMrr > 0 ? (f.en[m] - prevMrr) / prevMrr : null,
        subsActive: sf.ac[m], subsTrialing: sf.tr[m], subsNew: sf.nw[m], subsChurned: sf.ch[m],
      };
    };
    return { at, f, sf, pay, grossSel };
  }

  // ---- tiles --------------------------------------------------------------------------------------
  function tiles(c, mm) {
    const box = document.getElementById("kpis");
    const period = document.getElementById("period");
    if (!c.range) {
      box.innerHTML = "";
      period.textContent = "No month of the reporting calendar falls in the previous year: choose another range.";
      return;
    }
    // point figures: the range's latest complete month; the month in progress only when it is all there is
    const t = c.m1 === IP && c.m1 > c.m0 ? c.m1 - 1 : c.m1;
    const x = mm.at(t);
    const tLabel = monthLabel(t);
    const revTotal = total(c.revenue, 7, c.nm);
    let gross = 0;
    let net = 0;
    for (let b = 0; b < c.nm; b++) {
      gross += revTotal[0][b];
      for (let f = 0; f < 7; f++) net += revTotal[f][b];
    }
    const span = c.m0 === c.m1 ? monthLabel(c.m0) : monthLabel(c.m0) + " – " + monthLabel(c.m1);
    period.textContent = "Sums over " + span + "; month figures for " + tLabel +
      (t === IP ? " (month to date; MRR as of " + D.asOf + " UTC)" : ", the range's latest complete month") + ".";
    const arr = state.unit === "arr";
    const goal = (metric) => (filtered() ? undefined : (D.goals[metric] || {})[MONTHS[t]]);
    const goalText = (metric, value) => {
      const g = goal(metric);
      return g ? " · goal " + money(g) + " (" + percent(value / g) + ")" : "";
    };
    const growth3 = [t - 2, t - 1, t].filter((m) => m >= 0).map((m) => mm.at(m).growth).filter((v) => v !== null);
    const list = [
      [arr ? "ARR" : "MRR", money(arr ? 12 * x.mrr : x.mrr), percent(x.mrrGrowth, true) + " vs previous month" + (arr ? "" : goalText("mrr", x.mrr)), "mrr"],
      [arr ? "MRR" : "ARR", money(arr ? x.mrr : 12 * x.mrr), arr ? "ARR / 12" : "12 × MRR", "arr"],
      ["Gross revenue", money(gross), span, "gross"],
      ["Net revenue", money(net), "gross less refunds, credit notes, disputes, voids, bad debt", "net"],
      ["Paying customers", count(x.paying), count(x.active) + " with MRR at month end", "paying"],
      ["ARPU", money(x.arpu), "gross revenue / paying customers", "arpu"],
      ["Subscriber churn rate", percent(x.subscriberChurn), count(x.churnedCustomers) + " churned of " + count(x.atStart) + " at start + " + count(x.newCustomers) + " new", "subscriber_churn_rate"],
      ["MRR churn rate", percent(x.mrrChurn), "(churn + contraction) / starting MRR", "mrr_churn_rate"],
      ["Net MRR churn rate", percent(x.netMrrChurn), "less expansion and reactivation", "net_mrr_churn_rate"],
      ["Net MRR retention", percent(x.nrr), "of " + money(x.startMrr) + " starting MRR", "net_mrr_retention"],
      ["Churned revenue", money(x.churnedRevenue), "churned + contraction MRR", "churned_revenue"],
      ["LTV", money(x.ltv), x.subscriberChurn ? "ARPU / subscriber churn rate" : "undefined: no churn", "ltv"],
      ["Revenue growth MoM", percent(x.growth, true), "3-month average " + percent(growth3.length ? growth3.reduce((a, b) => a + b, 0) / growth3.length : null, true), "growth"],
      ["Active subscriptions", count(x.subsActive), count(x.subsNew) + " new, " + count(x.subsChurned) + " churned", "subscriptions"],
    ];
    box.innerHTML = list.map(([label, value, detail, id]) =>
      '<div class="kpi" data-kpi="' + id + '"><div class="label">' + esc(label) + (id === "gross" || id === "net" ? "" : " · " + esc(tLabel)) +
      '</div><div class="value">' + esc(value) + '</div><div class="detail">' + esc(detail) + "</div></div>").join("");
  }

  // ---- charts -------------------------------------------------------------------------------------
  // the month in progress: shaded, its bars lighter, labelled "month to date"
  const mtdShade = {
    id: "mtdShade",
    beforeDatasetsDraw(chart, _args, opts) {
      if (opts.from === undefined || opts.from < 0) return;
      const x = chart.scales.x;
      const area = chart.chartArea;
      const step = x.getPixelForValue(1) - x.getPixelForValue(0) || area.right - area.left;
      const left = Math.max(area.left, x.getPixelForValue(opts.from) - step / 2);
      const right = Math.min(area.right, x.getPixelForValue(opts.to) + step / 2);
      const ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = "rgba(134,142,150,0.13)";
      ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
      ctx.fillStyle = "#868e96";
      ctx.font = "11px sans-serif";
      ctx.textAlign = "right";
      ctx.fillText("month to date", right - 3, area.top + 11);
      ctx.restore();
    },
  };
  function lighter(color, n, from, to) {
    return Array.from({ length: n }, (_, i) => (i >= from && i <= to ? color + "66" : color));
  }
  function draw(id, config, sub) {
    if (charts[id]) charts[id].destroy();
    document.getElementById("sub-" + id).textContent = sub || "";
    const money_ = config.money !== false;
    const pct = config.percent;
    const options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "top", labels: { boxWidth: 12, font: { size: 11 } } },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const v = ctx.parsed.y;
              const text = v === null ? "—" : pct ? percent(v) : money_ ? money(v) : count(v);
              return ctx.dataset.label + ": " + text;
            },
          },
        },
        mtdShade: config.mtd || {},
      },
      scales: {
        x: { stacked: !!config.stacked, ticks: { maxRotation: 0, autoSkip: true, font: { size: 11 } }, grid: { display: false } },
        y: {
          stacked: !!config.stacked,
          ticks: { callback: (v) => (pct ? (v * 100).toFixed(0) + "%" : money_ ? shortMoney(v) : count(v)), font: { size: 11 }, ...(money_ || pct ? {} : { precision: 0 }) },
          ...(config.y || {}),
        },
        ...(config.y2 ? { y2: config.y2 } : {}),
      },
    };
    charts[id] = new Chart(document.getElementById("chart-" + id), { data: { labels: config.labels, datasets: config.datasets }, options, plugins: [mtdShade] });
  }
  function bar(label, data, color, extra) {
    return { type: "bar", label, data, backgroundColor: color, borderWidth: 0, stack: "s", order: 2, ...(extra || {}) };
  }
  function line(label, data, color, extra) {
    // its own stack: a line never piles on the bars of a stacked chart
    return { type: "line", label, data, borderColor: color, backgroundColor: color, pointRadius: 2, borderWidth: 2, tension: 0, order: 1, stack: "line:" + label, ...(extra || {}) };
  }
  function filtered() {
    return state.notest || PROPS.some((p) => state.f[p] && state.f[p].length);
  }
  // goals are the whole account's: drawn only when nothing is filtered out
  function goalLine(metric, months, scale) {
    if (filtered()) return [];
    const goals = D.goals[metric] || {};
    const data = months.map((m) => (goals[MONTHS[m]] !== undefined ? goals[MONTHS[m]] * (scale || 1) : null));
    if (!data.some((v) => v !== null)) return [];
    return [line("Goal", data, "#c92a2a", { borderDash: [6, 4], pointRadius: 3, spanGaps: true, borderWidth: 1.5 })];
  }
  const noMtd = (months) => (i) => months[i] !== IP;

  function drawCharts(c, mm) {
    if (!c.range) { for (const id of Object.keys(charts)) charts[id].destroy(); return; }
    const months = Array.from({ length: c.nm }, (_, i) => c.m0 + i);
    const labels = months.map(monthLabel);
    const mtdAt = months.indexOf(IP);
    const mtd = { from: mtdAt, to: mtdAt };
    const bd = state.bd.length > 0;
    const byCustomer = customerBreakdown();
    const productNote = state.bd.includes("product") || (state.f.product && state.f.product.length)
      ? "Product applies to revenue only: MRR is measured per customer (M2). " : "";
    const slice = (arr) => months.map((m) => arr[m]);
    const arr = state.unit === "arr" ? 12 : 1;

    // MRR / ARR at month end
    {
      let datasets;
      if (byCustomer) {
        const series = grouped(c.mrrAll, 7, NM);
        datasets = series.map((s, i) => bar(s.label, slice(s.data).map((v) => v * arr), COLORS[i % COLORS.length]));
        datasets.push(line("Total", slice(mm.f.en).map((v) => v * arr), "#212529", { pointRadius: 0, borderWidth: 1, hidden: false, borderDash: [2, 2] }));
      } else {
        datasets = [bar(state.unit.toUpperCase(), slice(mm.f.en).map((v) => v * arr), lighter("#4c6ef5", c.nm, mtdAt, mtdAt))];
      }
      datasets.push(...goalLine("mrr", months, arr));
      draw("mrr", { labels, datasets, stacked: true, mtd },
        productNote + (mtdAt >= 0 ? "The month in progress shows MRR as of " + D.asOf + " UTC. " : "") + "Month-end MRR" + (arr > 1 ? " × 12" : "") + ", FX at each month end's rate.");
      document.querySelector("#card-mrr h2").textContent = (arr > 1 ? "ARR" : "MRR") + " at month end (" + D.currency + ")";
    }
    // MRR bridge
    {
      const f = mm.f;
      let datasets;
      if (byCustomer) {
        const netNew = new Map();
        for (const [k, v] of c.mrrAll) {
          const a = new Float64Array(NM);
          for (let m = 0; m < NM; m++) a[m] = v[1][m] + v[5][m] + v[2][m] - v[3][m] - v[4][m];
          netNew.set(k, [a]);
        }
        datasets = grouped(netNew, 0, NM).map((s, i) => bar(s.label, slice(s.data).map((v) => v * arr), COLORS[i % COLORS.length]));
      } else {
        datasets = [
          bar("New", slice(f.nw).map((v) => v * arr), "#2f9e44"),
          bar("Expansion", slice(f.ex).map((v) => v * arr), "#8ce99a"),
          bar("Reactivation", slice(f.re).map((v) => v * arr), "#74c0fc"),
          bar("Contraction", slice(f.co).map((v) => -v * arr), "#ffa94d"),
          bar("Churn", slice(f.ch).map((v) => -v * arr), "#e03131"),
          bar("FX", slice(f.fx).map((v) => v * arr), "#adb5bd"),
        ];
      }
      const netNewTotal = months.map((m) => (f.nw[m] + f.re[m] + f.ex[m] - f.co[m] - f.ch[m]) * arr);
      datasets.push(line("Net new " + state.unit.toUpperCase() + " (FX apart)", netNewTotal, "#212529"));
      draw("mrr-bridge", { labels, datasets, stacked: true, mtd },
        productNote + (byCustomer ? "Net new MRR by " + state.bd.filter((p) => p !== "product").map((p) => LABEL[p].toLowerCase()).join(" and ") + ". " : "") +
        "start + new + reactivation + expansion − contraction − churn + FX = end (fct_mrr_monthly).");
    }
    // revenue
    {
      const daily = state.interval === "day" && c.daily;
      const n = daily ? c.days[1] - c.days[0] : c.nm;
      const rlabels = daily ? Array.from({ length: n }, (_, i) => dayLabel(c.days[0] + i)) : labels;
      const source = daily ? c.daily : c.revenue;
      const tot = total(source, 7, n);
      const net = Array.from({ length: n }, (_, b) => tot.reduce((a, f) => a + f[b], 0));
      let range = { from: mtdAt, to: mtdAt };
      if (daily && IP >= c.m0 && IP <= c.m1) {
        const from = D.monthFirstDay[IP] - c.days[0];
        range = { from, to: n - 1 };
      } else if (daily) range = {};
      let datasets;
      if (bd) {
        const netBy = new Map();
        for (const [k, v] of source) {
          const a = new Float64Array(n);
          for (let b = 0; b < n; b++) for (let fi = 0; fi < 7; fi++) a[b] += v[fi][b];
          netBy.set(k, [a]);
        }
        datasets = grouped(netBy, 0, n).map((s, i) => bar(s.label, Array.from(s.data), COLORS[i % COLORS.length]));
        datasets.push(line("Total net", net, "#212529", { pointRadius: daily ? 0 : 2, borderWidth: 1, borderDash: [2, 2] }));
      } else {
        const from = range.from === undefined ? -1 : range.from;
        const to = range.to === undefined ? -1 : range.to;
        datasets = [
          bar("Gross", Array.from(tot[0]), lighter("#4c6ef5", n, from, to)),
          bar("Refunds", Array.from(tot[1]), "#fa5252"),
          bar("Credit notes", Array.from(tot[2]), "#fd7e14"),
          bar("Disputes", Array.from(tot[3]), "#be4bdb"),
          bar("Voids", Array.from(tot[4]), "#868e96"),
          bar("Bad debt", Array.from(tot[5]), "#495057"),
        ];
        if (tot[6].some((v) => v !== 0)) datasets.push(bar("Other", Array.from(tot[6]), "#ced4da"));
        datasets.push(line("Net", net, "#212529", { pointRadius: daily ? 0 : 2 }));
      }
      if (!daily) datasets.push(...goalLine("gross_revenue", months));
      draw("revenue", { labels: rlabels, datasets, stacked: true, mtd: range },
        (bd ? "Net revenue by " + state.bd.map((p) => LABEL[p].toLowerCase()).join(" and ") + ". " : "") +
        (daily ? "Per day of recognition (a deferred part is dated at its month's first day). " : "") +
        (mtdAt >= 0 ? "The month in progress is to date: what was invoiced so far, with each deferred part's whole share of the month (dated at the month's first day). It is not a drop. " : "") + "Contra revenue below zero.");
    }
    // revenue growth month over month (complete months only)
    {
      const keep = noMtd(months);
      const pts = months.map((m, i) => (keep(i) ? mm.at(m).growth : null));
      let datasets;
      if (bd) {
        const gross = new Map();
        const full = aggregate(D.rev, NM, ["g"], (i) => revMonth[i], (i) => c.seg[D.rev.s[i]] && c.prod[D.rev.p[i]], (i) => keyOf(D.rev.s[i], D.rev.p[i]));
        for (const [k, v] of full) gross.set(k, v);
        // each part's contribution (its change over the whole's previous month): the parts sum to the total's
        // growth, where a part's own growth from a small base would read as thousands of percent
        const contribution = new Map();
        for (const [k, v] of gross) {
          const g = v[0];
          contribution.set(k, [Float64Array.from({ length: NM }, (_, m) => (m > 0 && mm.grossSel[m - 1] > 0 ? (g[m] - g[m - 1]) / mm.grossSel[m - 1] : 0))]);
        }
        datasets = grouped(contribution, 0, NM).map((s, j) => bar(s.label, months.map((m, i) => (keep(i) && pts[i] !== null ? s.data[m] : null)), COLORS[j % COLORS.length]));
        datasets.push(line("Total", pts, "#212529", { borderWidth: 2 }));
      } else {
        datasets = [line("Gross revenue growth", pts, "#4c6ef5"),
          line("3-month average", months.map((m, i) => {
            if (!keep(i)) return null;
            const v = [m - 2, m - 1, m].filter((x) => x >= 0).map((x) => mm.at(x).growth).filter((g) => g !== null);
            return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
          }), "#adb5bd", { borderDash: [4, 3], pointRadius: 0 })];
      }
      draw("growth", { labels, datasets, percent: true, money: false, stacked: bd },
        "Gross revenue over the month before" + (bd ? "; bars: each part's share of the change, summing to the total" : "") + ". " +
        (mtdAt >= 0 ? "The month in progress is left out until it closes." : ""));
    }
    // customers
    {
      const f = mm.f;
      const keep = noMtd(months);
      let datasets;
      if (byCustomer) {
        datasets = grouped(c.mrrAll, 8, NM).map((s, i) => bar(s.label, slice(s.data), COLORS[i % COLORS.length]));
        datasets.push(line("Total active", slice(f.ac), "#212529", { borderWidth: 1, borderDash: [2, 2] }));
      } else {
        datasets = [
          bar("New", slice(f.nc), lighter("#2f9e44", c.nm, mtdAt, mtdAt)),
          bar("Reactivated", slice(f.rc), "#74c0fc"),
          bar("Churned", slice(f.cc).map((v) => -v), "#e03131"),
          line("Active (MRR > 0)", slice(f.ac), "#212529"),
          line("Paying (revenue > 0)", months.map((m, i) => (keep(i) ? mm.pay[m] : null)), "#868e96", { borderDash: [4, 3] }),
        ];
      }
      draw("customers", { labels, datasets, stacked: true, money: false, mtd },
        productNote + (byCustomer ? "Active customers (MRR > 0) at month end. " : "Paying customers leave out the month in progress (they pay through the month). "));
    }
    // subscriptions
    {
      const s = mm.sf;
      let datasets;
      if (byCustomer) {
        datasets = grouped(c.subsAll, 0, NM).map((x, i) => bar(x.label, slice(x.data), COLORS[i % COLORS.length]));
        datasets.push(line("Total active", slice(s.ac), "#212529", { borderWidth: 1, borderDash: [2, 2] }));
      } else {
        datasets = [
          bar("New", slice(s.nw), lighter("#2f9e44", c.nm, mtdAt, mtdAt), { stack: "flow" }),
          bar("Churned", slice(s.ch).map((v) => -v), "#e03131", { stack: "flow" }),
          line("Active", slice(s.ac), "#212529"),
          line("Trialing", slice(s.tr), "#15aabf", { borderDash: [4, 3] }),
        ];
      }
      draw("subscriptions", { labels, datasets, stacked: true, money: false, mtd },
        productNote + (byCustomer ? "Active subscriptions at month end." : "Active and trialing at month end; started (new) and ended (churned) in the month."));
    }
    // churn and retention rates
    {
      let datasets;
      if (byCustomer) {
        const { keys } = topKeys(c.mrrAll, 0);
        datasets = keys.map((k, j) => {
          const v = c.mrrAll.get(k);
          return line(k, months.map((m) => {
            const start = v[0][m];
            return start > 0 ? (start + v[2][m] + v[5][m] - v[3][m] - v[4][m]) / start : null;
          }), COLORS[j % COLORS.length], { borderWidth: 1.5 });
        });
        datasets.push(line("Total", months.map((m) => mm.at(m).nrr), "#212529", { borderWidth: 2.5 }));
      } else {
        datasets = [
          line("Subscriber churn rate", months.map((m) => mm.at(m).subscriberChurn), "#e03131"),
          line("MRR churn rate", months.map((m) => mm.at(m).mrrChurn), "#fd7e14"),
          line("Net MRR churn rate", months.map((m) => mm.at(m).netMrrChurn), "#7950f2"),
          line("Net MRR retention (right)", months.map((m) => mm.at(m).nrr), "#2f9e44", { yAxisID: "y2" }),
        ];
      }
      draw("rates", {
        labels, datasets, percent: true, money: false, mtd,
        y2: byCustomer ? undefined : { position: "right", grid: { display: false }, ticks: { callback: (v) => (v * 100).toFixed(0) + "%", font: { size: 11 } } },
      }, productNote + (byCustomer ? "Net MRR retention by " + state.bd.filter((p) => p !== "product").map((p) => LABEL[p].toLowerCase()).join(" and ") + "." :
        "fct_revenue_metrics' published formulas (M3); the month in progress is to date."));
    }
    // deferred revenue (by source: the only property the balance has)
    {
      const srcOk = D.def.sources.map((s) => !(state.f.source && state.f.source.length) || state.f.source.includes(s));
      const agg = aggregate(D.def, NM, ["bi", "rc", "cl", "bal"], (i) => D.def.m[i], (i) => srcOk[D.def.src[i]],
        (i) => (state.bd.includes("source") ? D.def.sources[D.def.src[i]] : "Total"));
      const tot = total(agg, 4, NM);
      let datasets;
      if (state.bd.includes("source")) {
        datasets = [...agg.entries()].map(([k, v], i) => bar(k, slice(v[3]), COLORS[i % COLORS.length]));
      } else {
        datasets = [bar("Deferred balance", slice(tot[3]), lighter("#7950f2", c.nm, mtdAt, mtdAt))];
      }
      datasets.push(line("Billed", slice(tot[0]), "#212529", { borderDash: [4, 3] }));
      datasets.push(line("Recognised", slice(tot[1]), "#12b886"));
      const other = CUSTOMER_PROPS.filter((p) => p !== "source").some((p) => state.f[p] && state.f[p].length) || state.notest ||
        (state.f.product && state.f.product.length) || (bd && !state.bd.includes("source"));
      draw("deferred", { labels, datasets, stacked: true, mtd },
        (other ? "By source only: the balance (fct_deferred_revenue_monthly) has no other property. " : "") + "Billed, not yet recognised, at month end.");
    }
  }

  // ---- tables -------------------------------------------------------------------------------------
  function topCustomers(c) {
    const body = document.getElementById("top-body");
    const title = document.getElementById("top-title");
    if (!c.range) { body.innerHTML = ""; return; }
    const span = c.m0 === c.m1 ? monthLabel(c.m0) : monthLabel(c.m0) + " – " + monthLabel(c.m1);
    title.textContent = "Top customers, " + span + ", by net recognised revenue (" + D.currency + ")";
    const gross = new Float64Array(D.cust.id.length);
    const net = new Float64Array(D.cust.id.length);
    const seen = new Uint8Array(D.cust.id.length);
    const t = D.top;
    for (let i = 0; i < t.c.length; i++) {
      const k = t.c[i];
      if (t.m[i] < c.m0 || t.m[i] > c.m1 || !c.prod[t.p[i]] || !c.seg[D.cust.s[k]]) continue;
      gross[k] += t.g[i];
      net[k] += t.n[i];
      seen[k] = 1;
    }
    const order = [];
    for (let k = 0; k < seen.length; k++) if (seen[k]) order.push(k);
    order.sort((a, b) => net[b] - net[a] || (D.cust.id[a] < D.cust.id[b] ? -1 : 1));
    body.innerHTML = order.slice(0, 20).map((k, i) => {
      const s = D.cust.s[k];
      const person = D.cust.person[k];
      const group = D.cust.group[k];
      return "<tr><td class=num>" + (i + 1) + "</td><td>" + esc(D.cust.name[k]) + "</td><td>" + esc(D.cust.email[k]) + "</td><td>" +
        esc(D.props.country[D.seg.country[s]]) + "</td><td>" + esc(D.cust.id[k]) + "</td><td>" +
        (person ? '<a class="link" data-person="' + esc(person) + '">' + esc(person) + "</a>" : "") + "</td><td>" +
        (group ? '<a class="link" data-group="' + esc(group) + '">' + esc(group) + "</a>" : "") + "</td><td class=num>" +
        money(gross[k]) + "</td><td class=num>" + money(net[k]) + "</td></tr>";
    }).join("") || '<tr><td colspan="9">No customer revenue in this selection.</td></tr>';
    document.getElementById("top-sub").textContent = D.listedCustomers < D.allCustomers
      ? "Among the " + D.listedCustomers + " customers with the most revenue (of " + D.allCustomers + ")." : "";
  }
  function searchTable(kind) {
    const data = kind === "person" ? D.persons : D.groups;
    const ids = kind === "person" ? data.id : data.name;
    const q = (kind === "person" ? state.pq : state.gq).trim().toLowerCase();
    const rows = [];
    for (let i = 0; i < ids.length; i++) {
      const text = kind === "person" ? ids[i] : ids[i] + " " + data.key[i];
      if (!q || String(text).toLowerCase().includes(q)) rows.push(i);
    }
    rows.sort((a, b) => data.rev[b] - data.rev[a]);
    document.getElementById(kind + "-body").innerHTML = rows.slice(0, 25).map((i) =>
      "<tr><td>" + (kind === "group" ? '<a class="link" data-group="' + esc(ids[i]) + '">' + esc(ids[i]) + "</a>" : esc(ids[i])) +
      "</td><td class=num>" + count(data.n[i]) + "</td><td class=num>" + money(data.rev[i]) + "</td><td class=num>" +
      money(data.r30[i]) + "</td><td class=num>" + money(data.mrr[i]) + "</td></tr>").join("");
    document.getElementById(kind + "-count").textContent = ids.length
      ? rows.length + " of " + ids.length + (rows.length > 25 ? " (first 25 by revenue)" : "")
      : "Not built: run `dbt build` with a persons / groups file (the persons models).";
  }

  // ---- controls -----------------------------------------------------------------------------------
  function buildControls() {
    for (const id of ["bd1", "bd2"]) {
      const sel = document.getElementById(id);
      sel.innerHTML = '<option value="">' + (id === "bd1" ? "none" : "and none") + "</option>" +
        PROPS.filter((p) => p !== "group" || D.props.group.length > 1).map((p) => '<option value="' + p + '">' + LABEL[p] + "</option>").join("");
    }
    const box = document.getElementById("filters");
    for (const p of PROPS) {
      if (p === "group" && D.props.group.length <= 1) continue;
      const values = [...D.props[p]].sort();
      const det = document.createElement("details");
      det.className = "filter";
      det.dataset.prop = p;
      det.innerHTML = "<summary></summary><div class=options>" + (values.length > 12 ? '<input type=search placeholder="search">' : "") +
        values.map((v) => '<label><input type=checkbox value="' + esc(v) + '"> ' + esc(v) + "</label>").join("") + "</div>";
      box.appendChild(det);
      det.addEventListener("change", (e) => {
        if (e.target.type !== "checkbox") return;
        state.f[p] = [...det.querySelectorAll("input[type=checkbox]:checked")].map((x) => x.value);
        update();
      });
      const search = det.querySelector("input[type=search]");
      if (search) search.addEventListener("input", () => {
        const q = search.value.toLowerCase();
        for (const l of det.querySelectorAll("label")) l.style.display = l.textContent.toLowerCase().includes(q) ? "" : "none";
      });
    }
    const notest = document.getElementById("notest");
    if (!D.testCustomers) {
      notest.disabled = true;
      notest.parentElement.title = "No test customers configured: [test_customers] in the dashboard settings file";
    } else {
      notest.parentElement.title = D.testCustomers + " (" + D.testCount + " segment(s))";
    }
    document.getElementById("range").addEventListener("change", (e) => {
      state.range = e.target.value;
      if (state.range === "custom") {
        const r = monthRange() || [0, LATEST];
        state.from = state.from || MONTHS[Math.max(0, LATEST - 11)];
        state.to = state.to || MONTHS[r[1]];
      }
      update();
    });
    for (const id of ["from", "to"]) {
      const input = document.getElementById(id);
      input.min = MONTHS[0];
      input.max = MONTHS[LATEST];
      input.addEventListener("change", () => {
        const r = monthRange() || [0, LATEST];
        state.from = state.from || MONTHS[r[0]];
        state.to = state.to || MONTHS[r[1]];
        if (MONTHS.includes(input.value)) state[id] = input.value;
        state.range = "custom";
        update();
      });
    }
    document.getElementById("interval").addEventListener("change", (e) => { state.interval = e.target.value; update(); });
    document.getElementById("unit-mrr").addEventListener("click", () => { state.unit = "mrr"; update(); });
    document.getElementById("unit-arr").addEventListener("click", () => { state.unit = "arr"; update(); });
    for (const id of ["bd1", "bd2"]) document.getElementById(id).addEventListener("change", () => {
      const a = document.getElementById("bd1").value;
      const b = document.getElementById("bd2").value;
      state.bd = [a, b].filter((x, i, all) => x && all.indexOf(x) === i);
      update();
    });
    notest.addEventListener("change", () => { state.notest = notest.checked; update(); });
    document.getElementById("reset").addEventListener("click", () => { state = JSON.parse(JSON.stringify(DEFAULTS)); update(); });
    document.getElementById("person-search").addEventListener("input", (e) => { state.pq = e.target.value; writeHash(); searchTable("person"); });
    document.getElementById("group-search").addEventListener("input", (e) => { state.gq = e.target.value; writeHash(); searchTable("group"); });
    document.body.addEventListener("click", (e) => {
      const a = e.target.closest("a.link");
      if (!a) return;
      if (a.dataset.group) { state.f.group = [a.dataset.group]; update(); window.scrollTo(0, 0); }
      if (a.dataset.person) {
        state.pq = a.dataset.person;
        writeHash();
        syncControls();
        searchTable("person");
        document.getElementById("persons").scrollIntoView();
      }
    });
    window.addEventListener("hashchange", () => { state = readHash(); update(); });
  }
  function syncControls() {
    document.getElementById("range").value = state.range;
    const r = monthRange();
    document.getElementById("from").value = r ? MONTHS[r[0]] : "";
    document.getElementById("to").value = r ? MONTHS[r[1]] : "";
    document.getElementById("interval").value = state.interval;
    document.getElementById("unit-mrr").classList.toggle("on", state.unit === "mrr");
    document.getElementById("unit-arr").classList.toggle("on", state.unit === "arr");
    document.getElementById("bd1").value = state.bd[0] || "";
    document.getElementById("bd2").value = state.bd[1] || "";
    document.getElementById("notest").checked = state.notest;
    document.getElementById("person-search").value = state.pq;
    document.getElementById("group-search").value = state.gq;
    for (const det of document.querySelectorAll("details.filter")) {
      const p = det.dataset.prop;
      const chosen = new Set(state.f[p] || []);
      for (const box of det.querySelectorAll("input[type=checkbox]")) box.checked = chosen.has(box.value);
      const summary = det.querySelector("summary");
      summary.textContent = LABEL[p] + (chosen.size ? ": " + (chosen.size === 1 ? [...chosen][0] : chosen.size + " chosen") : "");
      summary.classList.toggle("active", chosen.size > 0);
    }
  }
  function dataAge() {
    const parts = [];
    if (D.asOf) parts.push("data as of " + D.asOf + " UTC (latest Stripe object)");
    if (D.syncedAt) parts.push("last sync " + D.syncedAt + " UTC");
    parts.push("page written " + D.generatedAt + " UTC");
    parts.push("amounts in " + D.currency);
    document.getElementById("data-age").textContent = parts.join(" · ");
  }

  function update() {
    writeHash();
    syncControls();
    const c = compute();
    const mm = monthly(c);
    performance.mark("computed");
    tiles(c, mm);
    drawCharts(c, mm);
    performance.mark("charts-drawn");
    topCustomers(c);
    searchTable("person");
    searchTable("group");
    window.dashboard.rendered += 1;
  }

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  window.dashboard = { state: () => JSON.parse(JSON.stringify(state)), charts, data: D, rendered: 0 };
  buildControls();
  dataAge();
  update();
  window.dashboard.firstRenderMs = performance.now(); // from navigation start: parse, data, tiles, charts, tables
  requestAnimationFrame(() => { window.dashboard.firstFrameMs = performance.now(); }); // and the frame painted
})();
