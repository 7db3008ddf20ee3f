// yuqing-tracker console: enhancements only; every page works without this file.
// - countdowns tick every second (the server renders the same text at load);
// - the board takes its rows again when the timeline's stream says something changed,
//   and every 10 s with the ETag it has while the stream is down (a 304 costs nothing);
// - wall-screen mode goes full screen on request;
// - the unit list of the new-incident form can be searched;
// - a form marked data-once disables its button after the first submit;
// - a button marked data-print prints the page (the briefing's A4 document).
(function () {
  "use strict";

  function span(seconds) {
    var s = Math.abs(seconds);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    return h + ":" + (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  var LABELS = { running: "计时中", at_risk: "临近时限", breached: "已超时" };

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".clock[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      var risk = Date.parse(el.getAttribute("data-at-risk"));
      var left = Math.floor((due - now) / 1000);
      var state = left < 0 ? "breached" : now >= risk ? "at_risk" : "running";
      var text = left >= 0 ? "剩余 " + span(left) : "超时 " + span(left);
      var cd = el.querySelector(".countdown");
      if (cd && cd.textContent !== text) cd.textContent = text;
      if (!el.classList.contains("state-" + state)) {
        el.classList.remove("state-running", "state-at_risk", "state-breached");
        el.classList.add("state-" + state);
        var label = el.querySelector(".state-label");
        if (label) label.textContent = LABELS[state];
      }
    });
  }

  // The board follows the timeline's stream and fetches its rows when something
  // changes; while the stream is down (no EventSource, refused, a proxy that buffers)
  // it asks every 10 s with the ETag it has, and tries the stream again each minute.
  function refreshBoard(box) {
    var url = box.getAttribute("data-refresh");
    var streamUrl = box.getAttribute("data-stream");
    var status = document.getElementById("board-live");
    var etag = null, source = null, pending = null;
    function poll() {
      var headers = { "X-Requested-With": "fetch" };
      if (etag) headers["If-None-Match"] = etag;
      fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (res) {
          if (res.redirected || res.status === 401) { window.location.reload(); return null; }
          if (res.status !== 200) return null;
          etag = res.headers.get("ETag");
          return res.text();
        })
        .then(function (html) {
          if (html !== null && html !== undefined) { box.innerHTML = html; tick(); }
        })
        .catch(function () { /* offline for a moment: try again at the next poll */ });
    }
    function live() { return source !== null && source.readyState === 1; }
    function show() {
      if (!status) return;
      status.hidden = false;
      status.textContent = live() ? "实时更新" : "每 10 秒刷新";
      status.setAttribute("data-mode", live() ? "stream" : "poll");
    }
    // Several events in a burst (one save writes a few) cost one fetch.
    function soon() {
      if (pending) return;
      pending = setTimeout(function () { pending = null; poll(); }, 150);
    }
    function connect() {
      if (!streamUrl || !window.EventSource) return;
      source = new EventSource(streamUrl);
      // Opened, or reopened after a gap: whatever changed meanwhile shows at once.
      source.onopen = function () { show(); soon(); };
      source.onmessage = soon;
      source.onerror = function () {
        // CONNECTING: the browser reconnects by itself; CLOSED: refused, poll instead.
        if (source && source.readyState === 2) {
          source = null;
          setTimeout(connect, 60000);
        }
        show();
      };
    }
    connect();
    show();
    setInterval(function () { if (!live()) poll(); }, 10000);
  }

  function unitSearch(input) {
    input.hidden = false;
    input.addEventListener("input", function () {
      var q = input.value.trim().toLowerCase();
      document.querySelectorAll("[data-unit]").forEach(function (row) {
        row.hidden = q !== "" && row.getAttribute("data-unit").toLowerCase().indexOf(q) < 0;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    var box = document.getElementById("board-rows");
    if (box) refreshBoard(box);
    var enter = document.getElementById("enter-wall");
    if (enter) enter.addEventListener("click", function () {
      if (document.documentElement.requestFullscreen) {
        document.documentElement.requestFullscreen().catch(function () {});
      }
    });
    document.querySelectorAll("[data-filter-units]").forEach(unitSearch);
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function () {
        var button = form.querySelector("button[type=submit]");
        if (button) setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });
})();
