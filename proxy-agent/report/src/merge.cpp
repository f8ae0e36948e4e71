#include "bnfc/report/merge.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <algorithm>
#include <sstream>

#include "bnfc/fs.h"

namespace bnfc::report {

Expected<std::string> FetchReportText(const std::string& source, int timeout_ms) {
  if (source.rfind("http://", 0) != 0) {
    if (source.find("://") != std::string::npos) {
      return Unexpected(ErrorCode::kInvalidArgument,
                        source + ": only http:// URLs and file names are read");
    }
    return fs::ReadFile(source, 64 << 20);
  }
  try {
    Poco::URI uri(source);
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(static_cast<long>(timeout_ms) * 1000));
    std::string path = uri.getPathAndQuery();
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET,
                                   path.empty() || path == "/" ? "/report.json" : path,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& body = session.receiveResponse(response);
    std::string text;
    Poco::StreamCopier::copyToString(body, text);
    if (response.getStatus() != Poco::Net::HTTPResponse::HTTP_OK) {
      return Unexpected(
          ErrorCode::kUnavailable,
          source + ": HTTP " + std::to_string(response.getStatus()) + " " + response.getReason());
    }
    return text;
  } catch (const Poco::Exception& e) {
    return Unexpected(ErrorCode::kUnavailable, source + ": " + e.displayText());
  }
}

Report MergeReports(std::vector<Report> reports, int64_t now_ms, int64_t freshness_ms) {
  Report out;
  std::vector<std::string> stale_reasons;
  for (Report& r : reports) {
    auto why = StaleReason(r, now_ms, freshness_ms, true);
    if (!why.empty() && !r.stale) {
      MarkStale(r, why);
    }
    if (r.stale) {
      stale_reasons.push_back(r.proxy_id + ": " + r.stale_reason);
    }
    out.proxy_id += (out.proxy_id.empty() ? "" : ", ") + r.proxy_id;
    if (out.proxy_version.empty()) {
      out.proxy_version = r.proxy_version;
    } else if (out.proxy_version != r.proxy_version) {
      out.proxy_version = "mixed";
    }
    // The oldest source dates the whole merged report.
    if (out.generated_unix_ms == 0 || r.generated_unix_ms < out.generated_unix_ms) {
      out.generated_unix_ms = r.generated_unix_ms;
    }
    for (auto& p : r.pairs) {
      if (p.proxy_id.empty()) {
        p.proxy_id = r.proxy_id;
      }
      out.pairs.push_back(std::move(p));
    }
    for (auto& c : r.contexts) {
      if (c.proxy_id.empty()) {
        c.proxy_id = r.proxy_id;
      }
      out.contexts.push_back(std::move(c));
    }
  }
  std::stable_sort(out.pairs.begin(), out.pairs.end(), [](const auto& a, const auto& b) {
    return std::tie(a.proxy_id, a.host_id) < std::tie(b.proxy_id, b.host_id);
  });
  Summarise(out);
  if (!stale_reasons.empty()) {
    out.stale = true;
    for (const auto& s : stale_reasons) {
      out.stale_reason += (out.stale_reason.empty() ? "" : "; ") + s;
    }
    out.all_isolated = false;
  }
  return out;
}

}  // namespace bnfc::report
