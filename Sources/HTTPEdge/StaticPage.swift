/// The built-in voice-call page served to people who follow a join link, and to members
/// who log in (password, then a TOTP or recovery code, or MFA enrolment with its QR code)
/// and pick a channel. The session token lives only in the script's memory.
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
        <form id="login" hidden>
        <input id="tenant" autocomplete="organization" placeholder="tenant" required>
        <input id="handle" autocomplete="username" placeholder="handle" required>
        <input id="password" type="password" autocomplete="current-password"
          placeholder="password" required>
        <button type="submit">Log in</button>
        </form>
        <form id="mfa" hidden>
        <input id="mfa-code" autocomplete="one-time-code" inputmode="numeric"
          placeholder="123456 or recovery code" required>
        <button type="submit">Verify</button>
        </form>
        <section id="enrol" hidden>
        <div class="buttons">
        <button id="enrol-start" type="button">Set up two-factor</button>
        <button id="enrol-skip" type="button">Later</button>
        </div>
        <form id="enrol-confirm" hidden>
        <img id="qr" alt="QR code for your authenticator app">
        <code id="uri"></code>
        <input id="confirm-code" autocomplete="one-time-code" inputmode="numeric"
          placeholder="123456" required>
        <button type="submit">Turn on</button>
        </form>
        </section>
        <section id="account" hidden><div id="channels" class="buttons"></div></section>
        <pre id="codes" hidden></pre>
        <div id="call" class="buttons">
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
    public static let styleHash = "'sha256-8eqcWj01l780FxWDp/PDTUojo0yg9iMkqczw6Qw0Aqo='"

    /// CSP source for the inline `<script>`: `'sha256-<base64 of SHA-256(script)>'`.
    public static let scriptHash = "'sha256-LCOZ03CVpN1kprEyeUanq72jItuVZH9kLnNvg2CqfL0='"

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
        [hidden] { display: none !important; }
        form { display: flex; flex-direction: column; gap: 0.5rem; margin: 1rem 0; }
        input { font: inherit; padding: 0.45rem 0.6rem; border: 1px solid #c5cad3;
          border-radius: 8px; }
        #qr { align-self: center; width: 14rem; height: 14rem; }
        #uri { font-size: 0.7rem; word-break: break-all; color: #4a5263; }
        #codes { background: #f4f5f7; padding: 0.75rem; border-radius: 8px; }

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
          // The token handed out with the live session, for coming back after a loss.
          var rejoinToken = "", rejoining = false, leaving = false, rejoinTimer = null;
          var rejoinsSinceConnected = 0;
          window.whootRejoins = 0;

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
            var link = {
              token: fragment.get("token") || query.get("token") || "",
              autojoin: fragment.get("autojoin") === "1" || query.get("autojoin") === "1"
            };
            // The token lives in this script from now on, not in the address bar or the
            // history, where a link opened but never used would keep it.
            if (link.token) { history.replaceState(null, "", location.pathname); }
            return link;
          }

          function closePeer() {
            if (pc) { pc.close(); pc = null; }
            while (remote.firstChild) { remote.removeChild(remote.firstChild); }
          }

          function cleanUp() {
            clearTimeout(rejoinTimer);
            closePeer();
            if (microphone) {
              microphone.getTracks().forEach(function (track) { track.stop(); });
              microphone = null;
            }
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
                clearTimeout(rejoinTimer);
                rejoinsSinceConnected = 0;
                setState("connected", "Connected.");
              } else if (state === "disconnected") {
                statusText.textContent = "Connection interrupted, waiting...";
                clearTimeout(rejoinTimer);
                rejoinTimer = setTimeout(function () {
                  if (connection === pc && connection.connectionState !== "connected") {
                    rejoin();
                  }
                }, 3000);
              } else if (state === "failed") {
                rejoin();
              }
            });
          }

          function sleep(ms) {
            return new Promise(function (resolve) { setTimeout(resolve, ms); });
          }

          function postOffer(url, sdp) {
            return fetch(url, {
              method: "POST",
              cache: "no-store",
              redirect: "manual",
              headers: {
                "Authorization": "Bearer " + token,
                "Content-Type": "application/sdp"
              },
              body: sdp
            });
          }

          // Sends the offer to where the channel lives. Another node answers 307, which
          // fetch cannot follow across origins with the token, so ask /whip/route.
          async function sendOffer(sdp) {
            var url = new URL("/whip", window.location.href).href;
            for (var hop = 0; hop < 3; hop++) {
              var response = await postOffer(url, sdp);
              if (response.type !== "opaqueredirect") { return response; }
              var routed = await fetch(new URL("/whip/route", url).href, {
                cache: "no-store",
                headers: { "Authorization": "Bearer " + token }
              });
              if (!routed.ok) { return routed; }
              url = new URL((await routed.json()).whip_url, routed.url).href;
            }
            throw new Error("the servers kept redirecting the join");
          }

          // One attempt: a new peer connection, the offer, the answer.
          async function connect() {
            pc = new RTCPeerConnection({ iceServers: [] });
            var connection = pc;
            watch(pc);
            pc.addEventListener("track", function (event) { play(event.track); });
            pc.addTransceiver(microphone.getAudioTracks()[0],
              { direction: "sendrecv", streams: [microphone] });
            for (var i = 0; i < 3; i++) {
              pc.addTransceiver("audio", { direction: "recvonly" });
            }
            await pc.setLocalDescription(await pc.createOffer());
            await gatheringDone(pc, 2000);
            var response = await sendOffer(pc.localDescription.sdp);
            if (!response.ok) {
              var error = new Error(await serverError(response));
              error.status = response.status;
              throw error;
            }
            var location = response.headers.get("Location");
            resource = location ? new URL(location, response.url).href : null;
            rejoinToken = response.headers.get("Whoot-Rejoin-Token") || "";
            var answer = await response.text();
            if (connection !== pc) { return; }
            await pc.setRemoteDescription({ type: "answer", sdp: answer });
          }

          // The session was lost (its node died, the network moved, the channel moved):
          // come back with the rejoin token, trying again while the servers are away.
          async function rejoin() {
            if (rejoining || leaving) { return; }
            if (!rejoinToken || rejoinsSinceConnected >= 5) {
              fail("connection to the server failed");
              return;
            }
            rejoining = true;
            clearTimeout(rejoinTimer);
            setState("rejoining", "Connection lost, rejoining...");
            var deadline = Date.now() + 60000, delay = 500;
            while (!leaving && Date.now() < deadline) {
              closePeer();
              token = rejoinToken;
              resource = null;
              try {
                rejoinsSinceConnected += 1;
                await connect();
                window.whootRejoins += 1;
                rejoining = false;
                if (pc && pc.connectionState !== "connected") {
                  statusText.textContent = "Reconnecting...";
                }
                return;
              } catch (error) {
                if (error && (error.status === 401 || error.status === 403)) {
                  rejoining = false;
                  fail("could not rejoin: " + error.message);
                  return;
                }
                await sleep(delay);
                delay = Math.min(delay * 2, 4000);
              }
            }
            rejoining = false;
            if (!leaving) { fail("could not rejoin: the servers stayed unreachable"); }
          }

          async function join() {
            if (!token) { fail("this link has no join token"); return; }
            joinButton.disabled = true;
            errorText.textContent = "";
            leaving = false;
            rejoinsSinceConnected = 0;
            setState("joining", "Joining...");
            try {
              microphone = await navigator.mediaDevices.getUserMedia({ audio: true });
              await connect();
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
            leaving = true;
            rejoinToken = "";
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

          // Signing in: password, then the second factor or MFA enrolment, then channels.
          var session = "", challenge = "";

          function show(id) {
            ["login", "mfa", "enrol", "account"].forEach(function (name) {
              document.getElementById(name).hidden = name !== id;
            });
          }

          function field(id) { return document.getElementById(id).value.trim(); }

          async function api(method, path, body) {
            var headers = {};
            if (session) { headers["Authorization"] = "Bearer " + session; }
            if (body !== undefined) { headers["Content-Type"] = "application/json"; }
            var response = await fetch(path, { method: method, cache: "no-store",
              headers: headers, body: body === undefined ? undefined : JSON.stringify(body) });
            if (!response.ok) { throw new Error(await serverError(response)); }
            return response.json();
          }

          function on(id, event, handler) {
            document.getElementById(id).addEventListener(event, async function (e) {
              e.preventDefault();
              errorText.textContent = "";
              try { await handler(); } catch (error) { errorText.textContent = error.message; }
            });
          }

          async function signedIn(body) {
            session = body.token;
            var mfa = await api("GET", "/v1/mfa");
            if (mfa.enrolled || mfa.policy === "disabled") { await account(); return; }
            show("enrol");
            document.getElementById("enrol-skip").hidden = mfa.enrollment_required;
            setState("enrol", mfa.enrollment_required
              ? "This workspace requires two-factor sign-in: set it up to continue."
              : "You can protect your account with two-factor sign-in.");
          }

          async function account() {
            show("account");
            var list = document.getElementById("channels");
            while (list.firstChild) { list.removeChild(list.firstChild); }
            (await api("GET", "/v1/channels")).channels.forEach(function (channel) {
              var button = document.createElement("button");
              button.type = "button";
              button.textContent = "Join " + channel.name;
              button.addEventListener("click", async function () {
                try {
                  var path = "/v1/channels/" + channel.id + "/join-token";
                  token = (await api("POST", path, {})).token;
                  callButtons.hidden = false;
                  join();
                } catch (error) { errorText.textContent = error.message; }
              });
              list.appendChild(button);
            });
            setState("signed-in", "Signed in. Pick a channel.");
          }

          on("login", "submit", async function () {
            var password = document.getElementById("password");
            var body = await api("POST", "/v1/login",
              { tenant: field("tenant"), handle: field("handle"), password: password.value });
            password.value = "";
            if (!body.mfa_required) { await signedIn(body); return; }
            challenge = body.challenge;
            show("mfa");
            setState("mfa", "Enter the code from your authenticator app.");
          });

          on("mfa", "submit", async function () {
            var code = field("mfa-code").replace(/[ ]/g, "");
            var body = { challenge: challenge };
            if (/^[0-9]+$/.test(code)) { body.code = code; }
            else { body.recovery_code = code; }
            document.getElementById("mfa-code").value = "";
            await signedIn(await api("POST", "/v1/login/mfa", body));
          });

          on("enrol-start", "click", async function () {
            var enrolment = await api("POST", "/v1/mfa/enroll", {});
            document.getElementById("qr").src =
              "data:image/svg+xml;charset=utf-8," + encodeURIComponent(enrolment.qr_svg);
            document.getElementById("uri").textContent = enrolment.uri;
            document.getElementById("enrol-confirm").hidden = false;
            document.getElementById("enrol-start").hidden = true;
            setState("enrol-scan", "Scan the code, then enter the digits your app shows.");
          });

          on("enrol-skip", "click", account);

          on("enrol-confirm", "submit", async function () {
            var result = await api("POST", "/v1/mfa/confirm", { code: field("confirm-code") });
            document.getElementById("uri").textContent = "";
            var codes = document.getElementById("codes");
            codes.textContent = "Recovery codes, each usable once. Keep them safe:\\n"
              + result.recovery_codes.join("\\n");
            codes.hidden = false;
            await account();
            setState("enrolled", "Two-factor sign-in is on.");
          });

          var callButtons = document.getElementById("call");
          var link = readLink();
          token = link.token;
          callButtons.hidden = !token;
          if (!token) { show("login"); }
          joinButton.addEventListener("click", join);
          leaveButton.addEventListener("click", leave);
          window.addEventListener("pagehide", function () {
            if (resource) {
              fetch(resource, { method: "DELETE", keepalive: true,
                headers: { "Authorization": "Bearer " + token } });
            }
          });
          setState("idle", token ? "Ready to join." : "Log in, or open a join link.");
          if (link.autojoin) { join(); }
        })();

        """
}
