// web.hpp: what the HTTP versions of the chat roulette (http, markov, both)
// share: html.go's page, and websocket_handler, which is x/net/websocket's
// websocket.Handler.
#pragma once

#include <gort/http.hpp>

#include <functional>
#include <string>
#include <string_view>

// root_html is html.go's rootTemplate: an input box, an output div, and a
// WebSocket to /socket. The talk fills in the server's listenAddr; the page
// takes location.host instead, so it works on any port. Each line typed is
// sent with send_suffix after it: "" for the web-only versions, "\n" in
// both/html.go, where TCP users read the lines too.
inline std::string root_html(std::string_view send_suffix) {
  std::string js_suffix = send_suffix.empty() ? "" : R"( + "\n")";
  return R"(<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8" />
<script>

var input, output, websocket;

function showMessage(m) {
	var p = document.createElement("p");
	p.innerHTML = m;
	output.appendChild(p);
}

function onMessage(e) {
	showMessage(e.data);
}

function onClose() {
	showMessage("Connection closed.");
}

function sendMessage() {
	var m = input.value;
	input.value = "";
	websocket.send(m)" +
         js_suffix + R"();
	showMessage(m);
}

function onKey(e) {
	if (e.keyCode == 13) {
		sendMessage();
	}
}

function init() {
	input = document.getElementById("input");
	input.addEventListener("keyup", onKey, false);

	output = document.getElementById("output");

	websocket = new WebSocket("ws://" + location.host + "/socket");
	websocket.onmessage = onMessage;
	websocket.onclose = onClose;
}

window.addEventListener("load", init, false);

</script>
</head>
<body>
<input id="input" type="text">
<div id="output"></div>
</body>
</html>
)";
}

// root_handler is html.go's rootHandler: the page, for every path.
inline gort::http::handler root_handler(std::string_view send_suffix = "") {
  return [html = root_html(send_suffix)](gort::http::response_writer& w,
                                         const gort::http::request&) {
    w.header().set("Content-Type", "text/html; charset=utf-8");
    w.write(html);
  };
}

// websocket_handler is websocket.Handler(f): it upgrades the request, runs
// f on the WebSocket, and closes it when f returns. A request that is no
// upgrade has had its "400 Bad Request" from accept.
inline gort::http::handler websocket_handler(
    std::function<void(gort::http::websocket)> f) {
  return [f = std::move(f)](gort::http::response_writer& w,
                            const gort::http::request& r) {
    auto [ws, err] = gort::http::websocket::accept(w, r);
    if (err) return;
    f(ws);
    ws.close();
  };
}
