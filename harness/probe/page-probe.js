// In-page probe, injected first into every page the mock backend serves: a census of chat streams by transport
// (EventSource, fetch body read as a stream, XHR while LOADING, WebSocket), hidden-time request counts, main-thread stall watchdog, and visibility emulation for browsers that cannot freeze.
// Plain ES2017 so it runs unchanged in Chromium, WebKit and Firefox, through Playwright or WebDriver.
(function () {
  'use strict';
  if (window.__sseHarness) return;
  var NativeES = window.EventSource;
  var NativeWS = window.WebSocket;
  var nativeFetch = window.fetch;
  var XHROpen = XMLHttpRequest.prototype.open;
  var XHRSend = XMLHttpRequest.prototype.send;
  var XHRAbort = XMLHttpRequest.prototype.abort;
  var log = []; // events not yet drained by the harness
  var sources = []; // every EventSource ever created on this page
  var streams = []; // every fetch stream, XHR stream and WebSocket: state kept here, not the object (see trackFetch)
  var hiddenRequests = {}; // path -> count while document.hidden
  var forcedHidden = null; // null: real visibility; true/false: emulated
  var forcedOffline = false; // emulated network loss
  var nextId = 1;
  var STALL_TICK = 25; // watchdog period: fine enough for 50 ms stalls, coarse enough to cost ~nothing
  var STALL_MIN = 50;
  // The mock backend names its chat stream routes in the probe's URL (repeated `chat` parameters, path patterns as in
  // stream-routes.ts): only streams on them are counted, as at the server, so a UI's side feeds (session lists,
  // notifications) are no disagreement. No name: every EventSource and WebSocket, and every text/event-stream
  // response read by script.
  var chatRoutes = null;
  try {
    var named = new URL(document.currentScript.src).searchParams.getAll('chat');
    if (named.length) chatRoutes = named;
  } catch (e) {
    /* inlined probe: count everything */
  }
  /** stream-routes.ts's matcher for one route, in ES2017 (tests/transports.spec.ts holds the two to the same answers). */
  function segmentsMatch(got, want) {
    for (var i = 0; i < want.length; i++) {
      if (want[i] === '*' && i === want.length - 1) return got.length >= want.length;
      if (i >= got.length) return false;
      if (want[i].charAt(0) === ':' ? got[i] === '' : want[i] !== got[i]) return false;
    }
    return got.length === want.length;
  }
  function routeMatches(path, route) {
    var got = path.split('/');
    var want = route.split('/');
    if (want[0] !== '*') return segmentsMatch(got, want);
    var tail = want.slice(1);
    return got.length - 1 >= tail.length && segmentsMatch(got.slice(got.length - tail.length), tail);
  }
  /** On a named chat stream route; true for any URL when none are named. */
  function onRoute(url) {
    if (chatRoutes === null) return true;
    var p = pathOf(url);
    return chatRoutes.some(function (r) {
      return routeMatches(p, r);
    });
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
        chat: onRoute(url),
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

  // ---- Fetch streams, XHR streams and WebSockets: one record each, with a state the wrappers below keep.
  // connecting: sent to a chat stream route, no response yet (holds or waits for a pool socket); open: a streaming
  // response whose body is not done (read or not: the socket is held either way); closed.
  function newStream(transport, url, createdAt) {
    var rec = {
      id: nextId++,
      transport: transport,
      url: String(url),
      state: 'connecting',
      createdAt: createdAt || now(),
      openedAt: null,
      closedAt: null,
      end: null,
      trace: new Error(),
      stack: null,
    };
    streams.push(rec);
    if (streams.length > 5000) {
      // Bounded for a soak: ended records go first.
      for (var i = 0; i < streams.length && streams.length > 5000; i++)
        if (streams[i].state === 'closed') streams.splice(i--, 1);
    }
    return rec;
  }
  function streamOpened(rec) {
    if (rec.state !== 'connecting') return;
    rec.state = 'open';
    rec.openedAt = now();
    // Stamped when the page asked for it, as an EventSource's creation is: before the server saw the request.
    push({
      kind: 'stream-create',
      t: rec.createdAt,
      transport: rec.transport,
      id: rec.id,
      url: absolute(rec.url),
      chat: true,
      rec: rec,
    });
  }
  /** byPage: the page let go of it (cancel, abort, close()), which the server may see later; else it ended. */
  function streamEnded(rec, how, byPage) {
    if (rec.state === 'closed') return;
    var was = rec.state;
    rec.state = 'closed';
    rec.closedAt = now();
    rec.end = how;
    if (byPage && was === 'open') push({ kind: 'stream-close', transport: rec.transport, url: absolute(rec.url) });
  }
  function isEventStream(type) {
    return /^\s*text\/event-stream/i.test(type || '');
  }
  /**
   * A response that streams: text/event-stream anywhere (with no routes named: only that), or any response with a
   * body on a named route, except a JSON answer (an error) or 204 (nothing to resume).
   */
  function isStreaming(onChatRoute, status, type) {
    if (isEventStream(type)) return true;
    return chatRoutes !== null && onChatRoute && status !== 204 && status < 300 && !/json/i.test(type || '');
  }

  // Byte streams, where the browser has them: a body the page may read with a BYOB reader, as it could unwrapped.
  var BYTE_STREAMS = (function () {
    try {
      new ReadableStream({ type: 'bytes' });
      return true;
    } catch (e) {
      return false;
    }
  })();

  // A fetch stream is open until its body is done, errors, is cancelled, or the fetch is aborted. Its body is
  // replaced by a stream that reads the native one on demand, and every way to the body goes through it: a reader
  // (BYOB too), pipeThrough, async iteration, tee, clone(), text() and the other body methods. The record holds no
  // reference to the response: a body the page dropped unread is the browser's to collect, as without the probe.
  function trackFetch(url, input, init) {
    var asked = now();
    var onChatRoute = onRoute(url);
    var rec = chatRoutes !== null && onChatRoute ? newStream('fetch-stream', url) : null;
    var signal = (init && init.signal) || (input && typeof input === 'object' && input.signal) || null;
    if (signal && signal.addEventListener)
      signal.addEventListener('abort', function () {
        if (rec) streamEnded(rec, 'abort', true);
      });
    return {
      failed: function () {
        if (rec) streamEnded(rec, 'error', false);
      },
      answered: function (res) {
        if (!res || !isStreaming(onChatRoute, res.status, res.headers.get('content-type')) || !res.body) {
          if (rec) {
            rec.state = 'closed';
            streams.splice(streams.indexOf(rec), 1);
          }
          return res;
        }
        if (!rec) rec = newStream('fetch-stream', url, asked);
        if (signal && signal.aborted) {
          streamEnded(rec, 'abort', false);
          return res;
        }
        streamOpened(rec);
        wrapBody(res, rec);
        return res;
      },
    };
  }

  function wrapBody(res, r) {
    var nativeBody = res.body;
    var reader = null;
    var disturbed = false;
    var source = {
      pull: function (c) {
        disturbed = true;
        reader = reader || nativeBody.getReader();
        var next = function () {
          return reader.read().then(
            function (x) {
              if (x.done) {
                streamEnded(r, 'done', false);
                c.close();
                // A BYOB read waiting when the body ends is answered with done.
                if (c.byobRequest) c.byobRequest.respond(0);
              } else if (!x.value || !x.value.byteLength) return next();
              else c.enqueue(x.value);
            },
            function (e) {
              streamEnded(r, 'error', false);
              c.error(e);
            },
          );
        };
        return next();
      },
      cancel: function (why) {
        disturbed = true;
        streamEnded(r, 'cancel', true);
        return (reader || nativeBody).cancel(why);
      },
    };
    if (BYTE_STREAMS) source.type = 'bytes';
    var body = new ReadableStream(source, { highWaterMark: 0 });
    Object.defineProperty(res, 'body', {
      configurable: true,
      get: function () {
        return body;
      },
    });
    Object.defineProperty(res, 'bodyUsed', {
      configurable: true,
      get: function () {
        return disturbed;
      },
    });
    // A clone reads a branch of the same body: the stream is open until both are done with it.
    var headers = res.headers;
    res.clone = function () {
      var pair = body.tee();
      body = pair[0];
      var copy = new Response(pair[1], { status: res.status, statusText: res.statusText, headers: headers });
      ['url', 'redirected', 'type'].forEach(function (k) {
        Object.defineProperty(copy, k, { configurable: true, value: res[k] });
      });
      return copy;
    };
    ['text', 'json', 'arrayBuffer', 'blob', 'formData', 'bytes'].forEach(function (m) {
      if (typeof Response.prototype[m] !== 'function') return;
      res[m] = function () {
        try {
          return new Response(body, { headers: headers })[m]();
        } catch (e) {
          return Promise.reject(e);
        }
      };
    });
  }

  if (nativeFetch) {
    window.fetch = function (input, init) {
      var url = typeof input === 'string' ? input : input && input.url !== undefined ? input.url : String(input);
      countRequest(url);
      if (forcedOffline) return Promise.reject(new TypeError('Failed to fetch (sse-harness: emulated offline)'));
      var t = trackFetch(url, input, init);
      return nativeFetch.apply(this, arguments).then(t.answered, function (e) {
        t.failed();
        throw e;
      });
    };
  }
  // An XHR stream: sent to a chat route (connecting), then open from its headers (a streaming response) while it
  // loads, until it is DONE, aborted, errors or times out.
  // open() again on an XHR aborts what it was loading: a release like abort(); its next send() is a new request.
  XMLHttpRequest.prototype.open = function (method, url) {
    countRequest(url);
    if (this.__sseHarnessAborted) this.__sseHarnessAborted();
    this.__sseHarnessUrl = String(url);
    this.__sseHarnessSent = false;
    return XHROpen.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    watchXhr(this);
    return XHRSend.apply(this, arguments);
  };
  XMLHttpRequest.prototype.abort = function () {
    if (this.__sseHarnessAborted) this.__sseHarnessAborted();
    return XHRAbort.apply(this, arguments);
  };
  function watchXhr(xhr) {
    var url = xhr.__sseHarnessUrl;
    if (url !== undefined && !xhr.__sseHarnessSent) {
      xhr.__sseHarnessSent = true;
      // Listeners of an earlier request on the same XHR stay attached: each acts for its own request only.
      var gen = (xhr.__sseHarnessGen = (xhr.__sseHarnessGen || 0) + 1);
      var asked = now();
      var onChatRoute = onRoute(url);
      var rec = chatRoutes !== null && onChatRoute ? newStream('xhr-stream', url) : null;
      var seen = function () {
        if (gen !== xhr.__sseHarnessGen) return;
        var st = xhr.readyState;
        if (st === 2 || st === 3) {
          if (!rec || rec.state === 'connecting') {
            if (isStreaming(onChatRoute, xhr.status, xhr.getResponseHeader('content-type'))) {
              rec = rec || newStream('xhr-stream', url, asked);
              streamOpened(rec);
            } else if (rec) {
              rec.state = 'closed';
              streams.splice(streams.indexOf(rec), 1);
              rec = null;
            }
          }
        } else if (st === 4 && rec) streamEnded(rec, 'done', false);
      };
      xhr.addEventListener('readystatechange', seen);
      // abort() turns the XHR DONE (readystatechange) before its abort event: the release is noted before either.
      xhr.__sseHarnessAborted = function () {
        if (rec) streamEnded(rec, 'abort', true);
      };
      xhr.addEventListener('error', function () {
        if (rec && gen === xhr.__sseHarnessGen) streamEnded(rec, 'error', false);
      });
      xhr.addEventListener('timeout', function () {
        if (rec && gen === xhr.__sseHarnessGen) streamEnded(rec, 'timeout', false);
      });
    }
  }

  // ---- WebSockets: wrapped like EventSource; open while OPEN, the page's close() reported as a release.
  if (NativeWS) {
    var WrappedWS = function WebSocket(url, protocols) {
      var ws = protocols === undefined ? new NativeWS(url) : new NativeWS(url, protocols);
      var rec = newStream('websocket', url);
      countRequest(url);
      if (!onRoute(url)) rec.chat = false;
      ws.addEventListener('open', function () {
        if (rec.chat !== false) streamOpened(rec);
        else rec.state = 'open';
      });
      ws.addEventListener('close', function () {
        streamEnded(rec, 'closed', false);
      });
      var nativeClose = ws.close;
      ws.close = function () {
        if (rec.chat !== false) streamEnded(rec, 'close', true);
        return nativeClose.apply(ws, arguments);
      };
      // Emulated offline: closing a connecting WebSocket fails it, with the error and close events a lost network gives.
      if (forcedOffline) nativeClose.call(ws);
      return ws;
    };
    WrappedWS.prototype = NativeWS.prototype;
    WrappedWS.CONNECTING = 0;
    WrappedWS.OPEN = 1;
    WrappedWS.CLOSING = 2;
    WrappedWS.CLOSED = 3;
    window.WebSocket = WrappedWS;
  }

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
      list = [],
      transports = {};
    streams.forEach(function (r) {
      if (r.chat === false) return;
      if (r.state === 'open') {
        open++;
        transports[r.transport] = (transports[r.transport] || 0) + 1;
      } else if (r.state === 'closed') closed++;
      // A WebSocket does not wait in the HTTP connection pool: only the other transports' waits are pool evidence.
      else if (r.transport !== 'websocket') connecting++;
    });
    sources.forEach(function (r) {
      var st = r.es.readyState;
      if (!r.chat) {
        /* a side feed: listed, not counted */
      } else if (st === 1) {
        open++;
        transports.eventsource = (transports.eventsource || 0) + 1;
      } else if (st === 0) connecting++;
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
    return {
      open: open,
      connecting: connecting,
      closed: closed,
      total: open + connecting + closed,
      transports: transports,
      sources: list,
    };
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
    /** The creation stack of each chat stream still open (an EventSource in readyState OPEN), for watch --stacks. */
    openStacks: function () {
      return sources
        .filter(function (r) {
          return r.es.readyState === 1;
        })
        .concat(
          streams.filter(function (r) {
            return r.state === 'open' && r.chat !== false;
          }),
        )
        .map(function (r) {
          return { url: absolute(r.url), stack: stackOf(r), transport: r.transport || 'eventsource' };
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
