"""The harness's control channel, as the stub sees it.

SSE_HARNESS_CONTROL is http://127.0.0.1:<port>/<secret>. At the start of a turn the stub asks
GET <base>/run?session=<id> and reads one JSON command per line from the answer until it ends: first
{"script": {"name": ..., "items": [...]}}, later {"hurry": true} or {"cancel": true}. It reports with
POST <base>/event {"kind": "run-start" | "run-end" | "drop", "session": <id>, "reason"?: ...}.
"""

import http.client
import json
import socket
import sys
import threading
from urllib.parse import quote, urlsplit

# How long a turn waits for its script: the harness arms one before the user sends, so this only ends a turn whose
# harness is gone.
SCRIPT_TIMEOUT_S = 30.0
# Reports are small and local; one that cannot be made in this time is logged and the turn goes on.
EVENT_TIMEOUT_S = 5.0
# A command line longer than this is refused: a script is a scenario's stream, bounded by the harness's limits.
MAX_LINE_BYTES = 64 * 1024 * 1024


class ControlError(Exception):
    """The control channel could not be used; the message names what failed."""


def log(message):
    """One line on the server's stderr, where the launcher looks when a run goes wrong."""
    try:
        sys.stderr.write('[sse-harness stub] %s\n' % message)
        sys.stderr.flush()
    except Exception:
        pass


class Control:
    def __init__(self, base):
        parts = urlsplit(base)
        if parts.scheme != 'http' or not parts.hostname or not parts.port:
            raise ControlError('SSE_HARNESS_CONTROL must look like http://127.0.0.1:<port>/<secret>, not %r' % base)
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip('/')

    def _connect(self, timeout):
        # http.client, not urllib: urllib would send these requests through a proxy named in the environment.
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def open_run(self, session, on_command):
        """Asks for this turn's script and returns (script, RunChannel); later commands go to on_command."""
        conn = self._connect(SCRIPT_TIMEOUT_S)
        try:
            conn.request('GET', '%s/run?session=%s' % (self.prefix, quote(session, safe='')), headers={'Connection': 'close'})
            sock = conn.sock
            resp = conn.getresponse()
            if resp.status != 200:
                raise ControlError('the control channel answered %d to GET /run' % resp.status)
            first = resp.readline(MAX_LINE_BYTES)
        except (OSError, http.client.HTTPException) as e:
            conn.close()
            raise ControlError('the control channel at %s:%d did not hand out a script (%s)' % (self.host, self.port, e))
        except ControlError:
            conn.close()
            raise
        try:
            script = json.loads(first.decode('utf-8')).get('script') if first.strip() else None
        except ValueError:
            script = None
        if not isinstance(script, dict) or not isinstance(script.get('items'), list):
            conn.close()
            raise ControlError('the control channel sent no script for session %s' % session)
        # The rest of the answer arrives when the harness decides: no read deadline from here on.
        sock.settimeout(None)
        channel = RunChannel(conn, sock, resp, on_command)
        channel.start()
        return script, channel

    def post_event(self, kind, session, reason=None):
        body = {'kind': kind, 'session': session}
        if reason is not None:
            body['reason'] = reason
        data = json.dumps(body).encode('utf-8')
        conn = self._connect(EVENT_TIMEOUT_S)
        try:
            conn.request('POST', '%s/event' % self.prefix, body=data, headers={'Content-Type': 'application/json', 'Connection': 'close'})
            conn.getresponse().read()
        except (OSError, http.client.HTTPException) as e:
            log('could not report %s for session %s: %s' % (kind, session, e))
        finally:
            conn.close()


class RunChannel:
    """Reads the commands that follow the script on a thread of its own, until the answer ends or the turn closes it."""

    def __init__(self, conn, sock, resp, on_command):
        self._conn = conn
        self._sock = sock
        self._resp = resp
        self._on_command = on_command
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._read, name='sse-harness-control', daemon=True)

    def start(self):
        self._thread.start()

    def _read(self):
        try:
            while not self._closed.is_set():
                line = self._resp.readline(MAX_LINE_BYTES)
                if not line:
                    return
                if not line.strip():
                    continue
                try:
                    command = json.loads(line.decode('utf-8'))
                except ValueError:
                    log('ignored a control line that is not JSON')
                    continue
                if isinstance(command, dict):
                    self._on_command(command)
        except Exception:
            # The turn shut the socket under the read (http.client then fails in more ways than OSError), or the
            # harness went away: no more commands either way.
            return
        finally:
            # Closed here, on the reading thread: closing the answer under a read in progress breaks http.client.
            try:
                self._resp.close()
            except Exception:
                pass
            self._conn.close()

    def close(self):
        """Ends the reading: the socket is shut, which wakes the reading thread, and that thread closes the rest."""
        if self._closed.is_set():
            return
        self._closed.set()
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
