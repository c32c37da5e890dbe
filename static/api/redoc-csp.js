/* Loaded before ReDoc's bundle on /api/v1/redoc/, so ReDoc runs under Polku's strict CSP
 * (style-src 'self', img-src 'self' data:, nothing external) without loosening it:
 *
 * - ReDoc styles itself at run time: it creates <style> elements and fills them (through
 *   their CSSOM sheet, or as text). Inline <style> elements are blocked by the CSP, so ReDoc
 *   found no sheet and stopped with an error. Here each <style> it asks for is an inert
 *   element whose rules go to a constructed stylesheet adopted by the document
 *   (new CSSStyleSheet: scripted CSSOM, which style-src does not govern).
 * - Its sidebar shows a logo from cdn.redoc.ly: the image is replaced by an empty inline one.
 *
 * tests/browser/test_api_docs.py checks that the page renders with no CSP violation.
 */
(function () {
  "use strict";
  var createElement = document.createElement.bind(document);

  function cssOf(sheet) {
    return Array.prototype.map.call(sheet.cssRules, function (rule) { return rule.cssText; });
  }

  document.createElement = function (name, options) {
    if (String(name).toLowerCase() !== "style") {
      return createElement(name, options);
    }
    var element = createElement("template");
    var sheet = new CSSStyleSheet();
    document.adoptedStyleSheets = document.adoptedStyleSheets.concat([sheet]);
    Object.defineProperty(element, "sheet", { value: sheet });
    var appendChild = element.appendChild.bind(element);
    element.appendChild = function (node) {
      if (node.nodeType === Node.TEXT_NODE && node.data) {
        sheet.replaceSync(cssOf(sheet).concat([node.data]).join("\n"));
      }
      return appendChild(node);
    };
    return element;
  };

  var EMPTY_IMAGE = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E";
  function local(value) {
    var text = String(value);
    var foreign = /^https?:\/\//i.test(text) && new URL(text).origin !== window.location.origin;
    return foreign ? EMPTY_IMAGE : text;
  }
  var image = HTMLImageElement.prototype;
  var src = Object.getOwnPropertyDescriptor(image, "src");
  Object.defineProperty(image, "src", {
    configurable: true,
    enumerable: src.enumerable,
    get: src.get,
    set: function (value) { src.set.call(this, local(value)); }
  });
  var setAttribute = Element.prototype.setAttribute;
  image.setAttribute = function (name, value) {
    var isSrc = String(name).toLowerCase() === "src";
    return setAttribute.call(this, name, isSrc ? local(value) : value);
  };
})();
