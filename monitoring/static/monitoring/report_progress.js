// Polls the status of reports being generated and shows their progress; offers the PDF when done.
(function () {
  "use strict";
  var rows = document.querySelectorAll("[data-report-status-url]");
  if (!rows.length) { return; }

  function update(row) {
    fetch(row.getAttribute("data-report-status-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var status = row.querySelector("[data-role=status]");
        var result = row.querySelector("[data-role=result]");
        var bar = row.querySelector("progress");
        var percent = row.querySelector("[data-role=percent]");
        if (status) { status.textContent = data.status_label + (data.error ? ": " + data.error : ""); }
        if (bar) { bar.value = data.progress; bar.textContent = data.progress + " %"; }
        if (percent) { percent.textContent = data.progress + " %"; }
        if (data.status === "done" && data.download_url && result) {
          result.textContent = "";
          var link = document.createElement("a");
          link.href = data.download_url;
          link.textContent = "PDF, " + data.period;
          result.appendChild(link);
          row.removeAttribute("data-report-status-url");
        } else if (data.status === "failed") {
          if (result) { result.textContent = "–"; }
          row.removeAttribute("data-report-status-url");
        } else {
          window.setTimeout(function () { update(row); }, 1500);
        }
      })
      .catch(function () { window.setTimeout(function () { update(row); }, 5000); });
  }

  rows.forEach(function (row) { update(row); });
})();
