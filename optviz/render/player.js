/* optviz player: plays one race over its landscape picture (optviz/render/html.py
   writes the page and documents the data). Our own code, no libraries, no globals:
   it takes the element just before this script as its race, so several races can
   share one page, and it asks the network for nothing. */
(function (root) {
  "use strict";
  if (!root || !root.classList.contains("optviz-race")) return;
  const data = JSON.parse(root.querySelector(".ov-data").textContent);
  const [W, H] = data.size;
  const N = data.steps;
  const fig = root.querySelector(".ov-figure");
  const layers = [root.querySelector(".ov-trails"), root.querySelector(".ov-heads")];
  const [trails, heads] = layers.map((c) => c.getContext("2d"));
  const playButton = root.querySelector(".ov-play");
  const scrub = root.querySelector(".ov-scrub");
  const readout = root.querySelector(".ov-step");
  const speedBox = root.querySelector(".ov-speed");
  const tip = root.querySelector(".ov-tip");
  const toggles = Array.from(root.querySelectorAll(".ov-toggle"));

  // ---- the data: base64 VLQ deltas (see html.py's `vlq`) ----
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const CODE = {};
  for (let i = 0; i < B64.length; i++) CODE[B64[i]] = i;

  function cumulative(s, per) {
    const out = [];
    let v = 0, mul = 1, sum = 0;
    for (let i = 0; i < s.length; i++) {
      const c = CODE[s[i]];
      v += (c & 31) * mul;
      if (c & 32) { mul *= 32; continue; }
      sum += v % 2 ? -(v + 1) / 2 : v / 2;
      out.push(sum / per);
      v = 0; mul = 1;
    }
    return Float64Array.from(out);
  }

  function glyph(g) { return g && Object.assign({}, g, { path: new Path2D(g.d) }); }

  const grid = Math.pow(10, data.digits);
  const tracks = data.tracks.map((t) => {
    const m = cumulative(t.m, 1), e = cumulative(t.e, 1);
    const loss = Float64Array.from(m, (v, k) => (e[k] === 99 ? NaN : v * Math.pow(10, e[k] - 3)));
    return Object.assign({}, t, { x: cumulative(t.x, grid), y: cumulative(t.y, grid), loss, on: true });
  });
  const scenes = data.scenes.map((s) => Object.assign({}, s, {
    start: glyph(s.start),
    paths: s.paths.map((p) => Object.assign({}, p, {
      px: cumulative(p.x, 10), py: cumulative(p.y, 10),
      cut: new Map(p.cut.map(([k, into, away]) => [k, { into, away }])),
      head: glyph(p.head), mark: glyph(p.mark),
    })),
  }));
  const sheet = new Image();
  let sheetReady = false;

  // ---- drawing: the same artists, in the same order, as Stage.frame ----
  let step = 0, scale = [1, 1], hover = null;

  function happened(t, s) { return t.at !== null && s >= t.at; }

  function headAt(p, t, s) {
    if (t.last < 0) return null;
    const k = Math.min(s, t.last);
    return p.cut.has(k) ? null : [p.px[k], p.py[k]];
  }

  function clipTo(ctx, [x, y, w, h]) { ctx.beginPath(); ctx.rect(x, y, w, h); ctx.clip(); }

  function stamp(ctx, g, at) { // Agg puts a marker's centre on the pixel centre nearest it
    if (!g || !at) return;
    ctx.save();
    ctx.translate(Math.floor(at[0] + 0.5) + 0.5, Math.floor(at[1] + 0.5) + 0.5);
    if (g.fill) { ctx.fillStyle = g.fill; ctx.fill(g.path); }
    if (g.width > 0) {
      ctx.lineWidth = g.width; ctx.strokeStyle = g.edge;
      ctx.lineJoin = g.join; ctx.lineCap = g.cap; ctx.stroke(g.path);
    }
    ctx.restore();
  }

  function trail(p, upto) {
    const L = p.line;
    trails.beginPath();
    let open = false, lx = 0, ly = 0;
    for (let k = 1; k <= upto; k++) {
      const a = p.cut.get(k - 1), b = p.cut.get(k);
      const from = a ? a.away : [p.px[k - 1], p.py[k - 1]];
      const to = b ? b.into : [p.px[k], p.py[k]];
      if (!from || !to) { open = false; continue; }
      if (!open || from[0] !== lx || from[1] !== ly) trails.moveTo(from[0], from[1]);
      trails.lineTo(to[0], to[1]);
      lx = to[0]; ly = to[1]; open = true;
    }
    trails.lineWidth = L.width; trails.strokeStyle = L.color;
    trails.lineCap = L.cap; trails.lineJoin = L.join;
    trails.setLineDash(L.dash); trails.lineDashOffset = L.offset;
    trails.stroke();
  }

  // heads closer than `reach` are spread on a small circle (scene2d.fan_out)
  function fanOut(spots, reach) {
    const idx = [], px = [];
    spots.forEach((p, i) => { if (p && isFinite(p[0]) && isFinite(p[1])) { idx.push(i); px.push(p); } });
    const out = spots.slice();
    if (px.length < 2) return out;
    const group = px.map((_, i) => i);
    for (let i = 0; i < px.length; i++) {
      for (let j = 0; j < i; j++) {
        if (Math.hypot(px[i][0] - px[j][0], px[i][1] - px[j][1]) < reach) {
          const from = group[i];
          for (let k = 0; k < group.length; k++) if (group[k] === from) group[k] = group[j];
        }
      }
    }
    for (const g of Array.from(new Set(group)).sort((a, b) => a - b)) {
      const members = [];
      group.forEach((v, i) => { if (v === g) members.push(i); });
      if (members.length < 2) continue;
      const n = members.length;
      const cx = members.reduce((s, i) => s + px[i][0], 0) / n;
      const cy = members.reduce((s, i) => s + px[i][1], 0) / n;
      const r = reach * (0.6 + 0.12 * n);
      members.forEach((i, k) => {
        const a = Math.PI / 2 + (2 * Math.PI * k) / n;
        out[idx[i]] = [cx + r * Math.cos(a), cy - r * Math.sin(a)];
      });
    }
    return out;
  }

  function drawScene(sc, s) {
    trails.save();
    clipTo(trails, sc.clip);
    if (sc.starts) for (const p of sc.starts) stamp(trails, sc.start, p);
    sc.paths.forEach((p, i) => { if (tracks[i].on) trail(p, Math.min(s, tracks[i].last)); });
    trails.restore();
    if (!sc.paths.length || !sc.paths[0].head) return; // the loss panel: lines only
    const at = sc.paths.map((p, i) => (tracks[i].on ? headAt(p, tracks[i], s) : null));
    const gone = tracks.map((t) => t.on && happened(t, s) && t.event === "left");
    let spots = at.map((h, i) => (gone[i] ? sc.paths[i].exit : h));
    if (sc.fan) spots = fanOut(spots, sc.fan);
    sc.paths.forEach((p, i) => { // where it left the plot, or diverged
      if (!tracks[i].on || !p.mark || !happened(tracks[i], s)) return;
      heads.save();
      if (p.clip_mark) clipTo(heads, sc.clip);
      stamp(heads, p.mark, gone[i] ? spots[i] : at[i]);
      heads.restore();
    });
    heads.save();
    clipTo(heads, sc.clip);
    sc.paths.forEach((p, i) => { if (tracks[i].on) stamp(heads, p.head, gone[i] ? at[i] : spots[i]); });
    heads.restore();
  }

  function grouped(n) { return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ","); }

  function drawWords(s) { // legend notes and the counter: pixels cut from the figure
    if (!sheetReady) return;
    for (const n of data.notes) {
      const [sx, sy] = happened(tracks[n.track], s) ? n.after : n.before;
      const [x, y, w, h] = n.at;
      heads.drawImage(sheet, sx, sy, w, h, x, y, w, h);
    }
    const c = data.counter, [sx, sy, w, h] = c.sheet, text = grouped(s);
    heads.save();
    heads.globalCompositeOperation = c.blend; // Counter.stamp's min / max
    for (let i = 0; i < text.length; i++) {
      const g = c.glyphs.indexOf(text[text.length - 1 - i]);
      heads.drawImage(sheet, sx + g * w, sy, w, h, c.pens[i], 0, w, h);
    }
    heads.restore();
  }

  function draw() {
    for (const ctx of [trails, heads]) {
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, ctx.canvas.width, ctx.canvas.height);
      ctx.setTransform(scale[0], 0, 0, scale[1], 0, 0);
    }
    for (const sc of scenes) drawScene(sc, step);
    drawWords(step);
    if (hover) {
      heads.beginPath();
      heads.arc(hover.x, hover.y, 6, 0, 2 * Math.PI);
      heads.lineWidth = 2; heads.strokeStyle = tracks[hover.i].color; heads.setLineDash([]);
      heads.stroke();
    }
  }

  function resize() {
    const r = fig.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    const cw = Math.max(1, Math.round(r.width * dpr)), ch = Math.max(1, Math.round(r.height * dpr));
    for (const c of layers) if (c.width !== cw || c.height !== ch) { c.width = cw; c.height = ch; }
    scale = [cw / W, ch / H];
    draw();
  }

  // ---- playing: speed 1 runs the race in the GIF's time, holds the end, loops ----
  let playing = false, speed = 1, origin = 0, anchor = 0, raf = 0;

  function setStep(s) {
    step = Math.max(0, Math.min(N - 1, Math.round(s)));
    scrub.value = String(step);
    readout.value = grouped(step) + " / " + grouped(N - 1);
    draw();
  }

  function secondsAt(s) { return N > 1 ? (s / (N - 1)) * data.seconds : 0; }

  function tick(now) {
    if (!playing) return;
    let t = origin + ((now - anchor) / 1000) * speed;
    if (t >= data.seconds + data.hold) { origin = 0; anchor = now; t = 0; }
    const s = Math.min(N - 1, Math.round((t / data.seconds) * (N - 1)));
    if (s !== step) setStep(s);
    raf = requestAnimationFrame(tick);
  }

  function play() {
    if (playing || N < 2) return;
    if (step >= N - 1) setStep(0);
    origin = secondsAt(step); anchor = performance.now(); playing = true;
    root.classList.add("ov-playing"); playButton.setAttribute("aria-label", "pause");
    raf = requestAnimationFrame(tick);
  }

  function pause() {
    playing = false; cancelAnimationFrame(raf);
    root.classList.remove("ov-playing"); playButton.setAttribute("aria-label", "play");
  }

  function toggle(i) {
    if (!tracks[i]) return;
    tracks[i].on = !tracks[i].on;
    for (const b of toggles) if (+b.dataset.track === i) b.setAttribute("aria-pressed", String(tracks[i].on));
    if (hover && hover.i === i) hideTip();
    draw();
  }

  playButton.addEventListener("click", () => (playing ? pause() : play()));
  scrub.addEventListener("input", () => { pause(); setStep(+scrub.value); });
  speedBox.addEventListener("change", () => {
    if (playing) { origin = origin + ((performance.now() - anchor) / 1000) * speed; anchor = performance.now(); }
    speed = +speedBox.value;
  });
  for (const b of toggles) b.addEventListener("click", () => toggle(+b.dataset.track));

  function onKey(e) {
    if (e.target === speedBox || e.altKey || e.ctrlKey || e.metaKey) return;
    const big = Math.max(1, Math.round((N - 1) / 20));
    const by = (d) => { pause(); setStep(step + d); };
    switch (e.key) {
      case " ": case "k": playing ? pause() : play(); break;
      case "ArrowRight": case "ArrowUp": by(e.shiftKey ? big : 1); break;
      case "ArrowLeft": case "ArrowDown": by(e.shiftKey ? -big : -1); break;
      case "PageUp": by(big); break;
      case "PageDown": by(-big); break;
      case "Home": by(-step); break;
      case "End": by(N - 1 - step); break;
      default:
        if (!/^[1-9]$/.test(e.key) || +e.key > tracks.length) return;
        toggle(+e.key - 1);
    }
    e.preventDefault();
    e.stopPropagation();
  }
  root.addEventListener("keydown", onKey);
  if (root.parentElement === document.body) { // the page is this race: keys need no click
    document.addEventListener("keydown", (e) => { if (e.target === document.body) onKey(e); });
  }

  // ---- hover and touch: which optimizer, step, position, loss ----
  function nearest(e) {
    const r = fig.getBoundingClientRect();
    const fx = ((e.clientX - r.left) / r.width) * W, fy = ((e.clientY - r.top) / r.height) * H;
    const reach = ((e.pointerType === "touch" ? 20 : 10) * W) / r.width;
    let best = null, bd = reach * reach;
    for (const sc of scenes) {
      const [cx, cy, cw, ch] = sc.clip;
      if (fx < cx || fy < cy || fx > cx + cw || fy > cy + ch) continue;
      sc.paths.forEach((p, i) => {
        const t = tracks[i];
        if (!t.on) return;
        for (let k = 0, upto = Math.min(step, t.last); k <= upto; k++) {
          if (p.cut.has(k)) continue;
          const d = (p.px[k] - fx) ** 2 + (p.py[k] - fy) ** 2;
          if (d <= bd) { bd = d; best = { i, k, x: p.px[k], y: p.py[k] }; }
        }
      });
    }
    return best;
  }

  function line(text, bold) {
    const el = document.createElement("div");
    el.textContent = text;
    if (bold) el.style.fontWeight = "bold";
    return el;
  }

  function showTip(e) {
    const hit = nearest(e);
    if (!hit) { hideTip(); return; }
    const t = tracks[hit.i], w = data.words, d = data.digits;
    const loss = t.loss[hit.k];
    tip.replaceChildren(
      line(t.name, true),
      line(`${w.step} ${grouped(hit.k)}`),
      line(`(${w.x}, ${w.y}) = (${t.x[hit.k].toFixed(d)}, ${t.y[hit.k].toFixed(d)})`),
      line(`${w.loss} ${isFinite(loss) ? loss.toPrecision(4) : "—"}`),
    );
    tip.hidden = false;
    const right = hit.x > W * 0.6, below = hit.y < H * 0.25;
    tip.style.left = (100 * hit.x) / W + "%";
    tip.style.top = (100 * hit.y) / H + "%";
    tip.style.transform = `translate(${right ? "calc(-100% - 10px)" : "10px"}, ${below ? "10px" : "calc(-100% - 10px)"})`;
    if (!hover || hover.i !== hit.i || hover.k !== hit.k) { hover = hit; draw(); }
  }

  function hideTip() {
    tip.hidden = true;
    if (hover) { hover = null; draw(); }
  }

  fig.addEventListener("pointermove", showTip);
  fig.addEventListener("pointerdown", (e) => { root.focus({ preventScroll: true }); showTip(e); });
  fig.addEventListener("pointerleave", (e) => { if (e.pointerType !== "touch") hideTip(); });

  if (typeof ResizeObserver === "function") new ResizeObserver(resize).observe(fig);
  window.addEventListener("resize", resize);
  setStep(0);
  resize();
  sheet.onload = () => { sheetReady = true; draw(); root.classList.add("ov-ready"); };
  sheet.src = data.sprites;
})(document.currentScript && document.currentScript.previousElementSibling);
