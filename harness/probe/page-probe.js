// In-page probe, injected first into every page the mock backend serves: EventSource census, hidden-time
// request counts, main-thread stall watchdog, and visibility emulation for browsers that cannot freeze.
// Plain ES2017 so it runs unchanged in Chromium, WebKit and Firefox, through Playwright or WebDriver.
(function () {
  'use strict';
  if (window.__sseHarness) return;
  var NativeES = window.EventSource;
  var nativeFetch = window.fetch;
  var XHROpen = XMLHttpRequest.prototype.open;
  var log = []; // events not yet drained by the harness
  var sources = []; // every EventSource ever created on this page
  var hiddenRequests = {}; // path -> count while document.hidden
  var forcedHidden = null; // null: real visibility; true/false: emulated
  var forcedOffline = false; // emulated network loss
  var nextId = 1;
  var STALL_TICK = 25; // watchdog period: fine enough for 50 ms stalls, coarse enough to cost ~nothing
  var STALL_MIN = 50;
  // The mock backend names its chat stream path in the probe's URL: only those EventSources are counted, as at the
  // server, so a UI's side feeds (session lists, notifications) are no disagreement. No name: every EventSource.
  var chatPath = null;
  try {
    chatPath = new URL(document.currentScript.src).searchParams.get('chat');
  } catch (e) {
    /* inlined probe: count everything */
  }

  function now() {
    return Date.now();
  }
  function isHidden() {
    return forcedHidden === null ? realHidden() : forcedHidden;
  }
  var hiddenDesc = Object.getOwnPropertyDescriptor(Document.prototype, 'hidden');
  var stateDesc = Object.getOwnPropertyDescriptor(Document.prototype, 'visibilityState');
  var onLineDesc = Object.getOwnPropertyDescriptor(Navigator.prototype, 'onLine');
  function navigatorOnLine() {
    return onLineDesc && onLineDesc.get ? onLineDesc.get.call(navigator) : true;
  }
  function realHidden() {
    return hiddenDesc && hiddenDesc.get ? hiddenDesc.get.call(document) : false;
  }
  /**
   * The creation stack as text, bounded (the harness parses the first frame outside the probe), made once and kept.
   * The probe's own frames stay in: browsers differ in whether the stack text starts with a header line.
   */
  function stackOf(rec) {
    if (rec.stack === null) {
      var text = '';
      try {
        text = String((rec.trace && rec.trace.stack) || '');
      } catch (e) {
        /* a page that broke Error.prototype.stack: no site */
      }
      rec.stack = text.split('\n').slice(0, 12).join('\n').slice(0, 4000);
      rec.trace = null;
    }
    return rec.stack;
  }
  function push(ev) {
    ev.t = ev.t || now();
    log.push(ev);
    if (log.length > 20000) log.splice(0, log.length - 20000);
  }
  function resolve(url) {
    try {
      // Relative URLs resolve against <base href> like the page's own requests do (hermes-webui sets one).
      return new URL(url, document.baseURI || location.href);
    } catch (e) {
      return null;
    }
  }
  function pathOf(url) {
    var u = resolve(url);
    return u ? u.pathname : String(url);
  }
  function absolute(url) {
    var u = resolve(url);
    return u ? u.href : String(url);
  }
  function countRequest(url) {
    if (!isHidden()) return;
    var p = pathOf(url);
    hiddenRequests[p] = (hiddenRequests[p] || 0) + 1;
    push({ kind: 'hidden-request', path: p });
  }

  // ---- EventSource census: wrap the constructor, keep the prototype so instanceof and constants still work.
  if (NativeES) {
    var Wrapped = function EventSource(url, init) {
      var es = init === undefined ? new NativeES(url) : new NativeES(url, init);
      var rec = {
        id: nextId++,
        url: String(url),
        chat: chatPath === null || pathOf(url) === chatPath,
        createdAt: now(),
        closedAt: null,
        openedAt: null,
        errors: 0,
        // Where the UI created it: the stack is captured now and turned into text only when asked for (stackOf).
        trace: new Error(),
        stack: null,
        es: es,
      };
      sources.push(rec);
      countRequest(url);
      es.addEventListener('open', function () {
        rec.openedAt = rec.openedAt || now();
      });
      es.addEventListener('error', function () {
        rec.errors++;
      });
      var nativeClose = es.close;
      // The page's own close(): the server may see the socket end later (Chromium reads the rest of a cancelled
      // response for a while to reuse the connection), so the harness is told when the page let go of it.
      function closedByPage() {
        if (rec.closedAt !== null) return;
        rec.closedAt = now();
        if (rec.chat) push({ kind: 'es-close', url: absolute(rec.url) });
      }
      es.close = function () {
        closedByPage();
        return nativeClose.call(es);
      };
      // A chat stream's creation site goes to the harness with it (stackOf runs when the event is drained).
      push(
        rec.chat
          ? { kind: 'es-create', id: rec.id, url: absolute(rec.url), chat: true, rec: rec }
          : { kind: 'es-create', id: rec.id, url: rec.url },
      );
      if (forcedOffline) {
        // Emulated offline: the connection fails the way a real one does, with an error event.
        nativeClose.call(es);
        closedByPage();
        setTimeout(function () {
          es.dispatchEvent(new Event('error'));
        }, 0);
      }
      return es;
    };
    Wrapped.prototype = NativeES.prototype;
    Wrapped.CONNECTING = 0;
    Wrapped.OPEN = 1;
    Wrapped.CLOSED = 2;
    window.EventSource = Wrapped;
  }

  // ---- Requests while hidden.
  if (nativeFetch) {
    window.fetch = function (input) {
      countRequest(typeof input === 'string' ? input : input && input.url);
      if (forcedOffline) return Promise.reject(new TypeError('Failed to fetch (sse-harness: emulated offline)'));
      return nativeFetch.apply(this, arguments);
    };
  }
  XMLHttpRequest.prototype.open = function (method, url) {
    countRequest(url);
    return XHROpen.apply(this, arguments);
  };

  // ---- Main-thread watchdog: a timer that should fire every STALL_TICK ms; a late tick is a stall.
  // Hidden pages throttle timers, so gaps that touch hidden time are not stalls.
  var stalls = [];
  var expected = now() + STALL_TICK;
  var visibleSince = now();
  function tick() {
    var t = now();
    var gap = t - expected;
    if (gap >= STALL_MIN && !isHidden() && expected - STALL_TICK >= visibleSince) {
      var s = { kind: 'stall', source: 'heartbeat', t: expected - STALL_TICK, duration: gap + STALL_TICK };
      stalls.push(s);
      push(s);
    }
    expected = t + STALL_TICK;
    setTimeout(tick, STALL_TICK);
  }
  setTimeout(tick, STALL_TICK);
  document.addEventListener('visibilitychange', function () {
    visibleSince = now();
    push({ kind: 'visibility', hidden: isHidden() });
  });
  ['freeze', 'resume', 'pageshow', 'pagehide', 'online', 'offline'].forEach(function (name) {
    (name === 'freeze' || name === 'resume' ? document : window).addEventListener(name, function () {
      visibleSince = now();
      push({ kind: 'lifecycle', name: name });
    });
  });
  try {
    var types = PerformanceObserver.supportedEntryTypes || [];
    var type =
      types.indexOf('long-animation-frame') >= 0
        ? 'long-animation-frame'
        : types.indexOf('longtask') >= 0
          ? 'longtask'
          : null;
    if (type) {
      new PerformanceObserver(function (list) {
        list.getEntries().forEach(function (e) {
          push({
            kind: 'stall',
            source: type === 'longtask' ? 'longtask' : 'loaf',
            t: Math.round(performance.timeOrigin + e.startTime),
            duration: Math.round(e.duration),
          });
        });
      }).observe({ type: type, buffered: true });
    }
  } catch (e) {
    /* no long-task API in this browser: the heartbeat watchdog still runs */
  }
  window.addEventListener('error', function (e) {
    push({ kind: 'page-error', message: String(e.message || e) });
  });
  window.addEventListener('unhandledrejection', function (e) {
    push({ kind: 'page-error', message: 'unhandled rejection: ' + String((e.reason && e.reason.message) || e.reason) });
  });

  function census() {
    var open = 0,
      connecting = 0,
      closed = 0,
      list = [];
    sources.forEach(function (r) {
      var st = r.es.readyState;
      if (!r.chat) {
        /* a side feed: listed, not counted */
      } else if (st === 1) open++;
      else if (st === 0) connecting++;
      else closed++;
      list.push({
        id: r.id,
        url: r.url,
        chat: r.chat,
        readyState: st,
        createdAt: r.createdAt,
        openedAt: r.openedAt,
        closedAt: r.closedAt,
        errors: r.errors,
      });
    });
    return { open: open, connecting: connecting, closed: closed, total: open + connecting + closed, sources: list };
  }

  window.__sseHarness = {
    version: 1,
    census: census,
    hiddenRequests: function () {
      return JSON.parse(JSON.stringify(hiddenRequests));
    },
    stalls: function () {
      return stalls.slice();
    },
    /** The creation stack of each EventSource still open (readyState OPEN), for watch --stacks. */
    openStacks: function () {
      return sources
        .filter(function (r) {
          return r.es.readyState === 1;
        })
        .map(function (r) {
          return { url: absolute(r.url), stack: stackOf(r) };
        });
    },
    drain: function () {
      var out = log;
      log = [];
      for (var i = 0; i < out.length; i++) {
        var ev = out[i];
        if (ev.rec) {
          ev.stack = stackOf(ev.rec);
          delete ev.rec;
        }
      }
      return out;
    },
    /** Emulated visibility, for browsers where the harness cannot hide or freeze the page for real. */
    setHidden: function (hidden) {
      var was = isHidden();
      forcedHidden = hidden;
      if (was !== hidden) document.dispatchEvent(new Event('visibilitychange'));
    },
    emulating: function () {
      return forcedHidden !== null;
    },
    /** Emulated network loss, for browsers where the harness cannot take the network away for real. */
    setOffline: function (offline) {
      if (forcedOffline === offline) return;
      forcedOffline = offline;
      window.dispatchEvent(new Event(offline ? 'offline' : 'online'));
    },
  };
  Object.defineProperty(navigator, 'onLine', {
    configurable: true,
    get: function () {
      return !forcedOffline && navigatorOnLine();
    },
  });
  Object.defineProperty(document, 'hidden', { configurable: true, get: isHidden });
  Object.defineProperty(document, 'visibilityState', {
    configurable: true,
    get: function () {
      if (forcedHidden !== null) return forcedHidden ? 'hidden' : 'visible';
      return stateDesc && stateDesc.get ? stateDesc.get.call(document) : 'visible';
    },
  });
})();
