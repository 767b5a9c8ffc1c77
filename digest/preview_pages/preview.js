// Live reload for template work (`digest preview --watch`): the server says
// "reload" when a template or the config changes. No other script runs here.
"use strict";
const events = new EventSource("/events");
events.onmessage = (event) => {
  if (event.data === "reload") {
    window.location.reload();
  }
};
