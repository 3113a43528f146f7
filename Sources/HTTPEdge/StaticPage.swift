/// The built-in voice-call page served to people who follow a join link.
///
/// One self-contained HTML document: no external scripts, styles, fonts or images. The
/// join token travels in the URL fragment (`#token=...`) so it never reaches server or
/// proxy logs; `?token=` is accepted as a fallback. `autojoin=1` (fragment or query) joins
/// without a click, for headless tests, which can poll `window.whootState`: `idle`,
/// `joining`, `connected`, `left` or `failed: <reason>`.
///
/// The inline script and style are allowed by `SecurityHeaders.contentSecurityPolicy`
/// through their SHA-256 hashes (`scriptHash`, `styleHash`); a test recomputes them, so
/// editing `script` or `style` means updating the hash next to it.
public enum StaticPage {
    /// The complete page.
    public static let indexHTML: String = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="referrer" content="no-referrer">
        <title>whoot call</title>
        <link rel="icon" href="data:,">
        <style>\(style)</style>
        </head>
        <body>
        <main>
        <h1>whoot</h1>
        <p id="status" role="status" aria-live="polite">Ready to join.</p>
        <div class="buttons">
        <button id="join" type="button">Join</button>
        <button id="leave" type="button" disabled>Leave</button>
        </div>
        <p id="error" class="error" role="alert"></p>
        <div id="remote"></div>
        </main>
        <script>\(script)</script>
        </body>
        </html>

        """

    /// CSP source for the inline `<style>`: `'sha256-<base64 of SHA-256(style)>'`.
    public static let styleHash = "'sha256-AgQxf5TAMvOQ0QMq8IiHMUSk9aVvyH3QCN07SYPAyhg='"

    /// CSP source for the inline `<script>`: `'sha256-<base64 of SHA-256(script)>'`.
    public static let scriptHash = "'sha256-v0b8sVRFJ8v0WxWejhDrM2f+ftDhyVvyUh9z9O5pUUQ='"

    /// The text of the inline `<style>` element.
    public static let style = """

        body { margin: 0; min-height: 100vh; display: flex; align-items: center;
          justify-content: center; background: #f4f5f7; color: #1d2330;
          font: 16px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; }
        main { background: #fff; padding: 2rem 2.5rem; border-radius: 12px;
          box-shadow: 0 2px 12px rgba(0, 0, 0, 0.08); min-width: 18rem; text-align: center; }
        h1 { margin: 0 0 1rem; font-size: 1.4rem; letter-spacing: 0.02em; }
        .buttons { display: flex; gap: 0.75rem; justify-content: center; margin: 1rem 0; }
        button { font: inherit; padding: 0.5rem 1.4rem; border: 0; border-radius: 8px;
          cursor: pointer; background: #2f6fed; color: #fff; }
        button#leave { background: #d64545; }
        button:disabled { opacity: 0.4; cursor: default; }
        .error { color: #b42318; min-height: 1.5em; margin: 0; }
        audio { display: none; }

        """

    /// The text of the inline `<script>` element.
    public static let script = """

        "use strict";
        (function () {
          var statusText = document.getElementById("status");
          var errorText = document.getElementById("error");
          var joinButton = document.getElementById("join");
          var leaveButton = document.getElementById("leave");
          var remote = document.getElementById("remote");
          var pc = null, microphone = null, resource = null, token = "";

          function setState(state, label) {
            window.whootState = state;
            statusText.textContent = label;
          }

          function fail(message) {
            errorText.textContent = message;
            setState("failed: " + message, "Could not connect.");
            cleanUp();
            joinButton.disabled = false;
            leaveButton.disabled = true;
          }

          function readLink() {
            var fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
            var query = new URLSearchParams(location.search);
            return {
              token: fragment.get("token") || query.get("token") || "",
              autojoin: fragment.get("autojoin") === "1" || query.get("autojoin") === "1"
            };
          }

          function cleanUp() {
            if (pc) { pc.close(); pc = null; }
            if (microphone) {
              microphone.getTracks().forEach(function (track) { track.stop(); });
              microphone = null;
            }
            while (remote.firstChild) { remote.removeChild(remote.firstChild); }
          }

          function gatheringDone(connection, limitMs) {
            return new Promise(function (resolve) {
              if (connection.iceGatheringState === "complete") { resolve(); return; }
              var timer = setTimeout(finish, limitMs);
              function check() {
                if (connection.iceGatheringState === "complete") { finish(); }
              }
              function finish() {
                clearTimeout(timer);
                connection.removeEventListener("icegatheringstatechange", check);
                resolve();
              }
              connection.addEventListener("icegatheringstatechange", check);
            });
          }

          async function serverError(response) {
            try {
              var body = await response.json();
              if (body && typeof body.error === "string") { return body.error; }
            } catch (ignored) {}
            return "server answered " + response.status;
          }

          function play(track) {
            var audio = document.createElement("audio");
            audio.autoplay = true;
            audio.srcObject = new MediaStream([track]);
            remote.appendChild(audio);
            track.addEventListener("ended", function () { audio.remove(); });
          }

          function watch(connection) {
            connection.addEventListener("connectionstatechange", function () {
              if (connection !== pc) { return; }
              var state = connection.connectionState;
              if (state === "connected") {
                setState("connected", "Connected.");
              } else if (state === "disconnected") {
                statusText.textContent = "Connection interrupted, waiting...";
              } else if (state === "failed") {
                fail("connection to the server failed");
              }
            });
          }

          async function join() {
            if (!token) { fail("this link has no join token"); return; }
            joinButton.disabled = true;
            errorText.textContent = "";
            setState("joining", "Joining...");
            try {
              microphone = await navigator.mediaDevices.getUserMedia({ audio: true });
              pc = new RTCPeerConnection({ iceServers: [] });
              watch(pc);
              pc.addEventListener("track", function (event) { play(event.track); });
              pc.addTransceiver(microphone.getAudioTracks()[0],
                { direction: "sendrecv", streams: [microphone] });
              for (var i = 0; i < 3; i++) {
                pc.addTransceiver("audio", { direction: "recvonly" });
              }
              await pc.setLocalDescription(await pc.createOffer());
              await gatheringDone(pc, 2000);
              var response = await fetch("/whip", {
                method: "POST",
                cache: "no-store",
                headers: {
                  "Authorization": "Bearer " + token,
                  "Content-Type": "application/sdp"
                },
                body: pc.localDescription.sdp
              });
              if (!response.ok) { throw new Error(await serverError(response)); }
              var location = response.headers.get("Location");
              resource = location ? new URL(location, window.location.href).href : null;
              var answer = await response.text();
              if (!pc) { return; }
              await pc.setRemoteDescription({ type: "answer", sdp: answer });
              leaveButton.disabled = false;
              if (pc.connectionState !== "connected") {
                statusText.textContent = "Connecting...";
              }
            } catch (error) {
              fail(error && error.message ? error.message : String(error));
            }
          }

          async function leave() {
            leaveButton.disabled = true;
            var target = resource;
            resource = null;
            cleanUp();
            setState("left", "You left the call.");
            joinButton.disabled = false;
            if (!target) { return; }
            try {
              var response = await fetch(target, {
                method: "DELETE",
                cache: "no-store",
                headers: { "Authorization": "Bearer " + token }
              });
              if (!response.ok && response.status !== 404) {
                errorText.textContent = await serverError(response);
              }
            } catch (error) {
              errorText.textContent = "leaving failed: " + error.message;
            }
          }

          var link = readLink();
          token = link.token;
          joinButton.addEventListener("click", join);
          leaveButton.addEventListener("click", leave);
          window.addEventListener("pagehide", function () {
            if (resource) {
              fetch(resource, { method: "DELETE", keepalive: true,
                headers: { "Authorization": "Bearer " + token } });
            }
          });
          setState("idle", token ? "Ready to join." : "This link has no join token.");
          if (link.autojoin) { join(); }
        })();

        """
}
