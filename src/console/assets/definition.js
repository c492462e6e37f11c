// Renders an OpenAPI definition with the bundled Swagger UI, read-only: no
// "Try it out" (the console is for reading; the API docs at /docs send requests).
// Swagger UI leaves some fields without an accessible name; each one it renders
// is named after what it holds (a parameter, the server list).
window.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("definition-viewer");
  if (!el || typeof window.SwaggerUIBundle !== "function") {
    return;
  }
  function name(field) {
    // A label that only wraps the field (Swagger UI's server list) names nothing.
    var labelled = Array.prototype.some.call(field.labels || [], function (l) {
      return l.textContent.replace(field.textContent, "").trim() !== "";
    });
    if (field.getAttribute("aria-label") || labelled) {
      return;
    }
    var param = field.closest("[data-param-name]");
    var label = field.id === "servers" ? "Server" :
      param ? "Parameter " + param.getAttribute("data-param-name") :
      field.getAttribute("placeholder") || field.getAttribute("title") || "Value";
    field.setAttribute("aria-label", label);
  }
  new MutationObserver(function () {
    el.querySelectorAll("input, select, textarea").forEach(name);
  }).observe(el, { childList: true, subtree: true });
  window.SwaggerUIBundle({
    url: el.getAttribute("data-spec-url"),
    domNode: el,
    supportedSubmitMethods: [],
    tryItOutEnabled: false,
    validatorUrl: null,
    deepLinking: false,
  });
});
