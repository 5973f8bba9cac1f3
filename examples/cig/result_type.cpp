// Concurrency in Go (Cox-Buday, 2017), ch. 4, "Error Handling": the
// goroutine that meets an error does not decide what to do with it; it sends
// a result{error, response}, and main, which knows more, decides: here, stop
// after three errors. http.Get is simulated (no network), failing on a URL
// without a scheme as Go's does. Checks (result_type.out): the book's
// output; and, exit 1 if not, that check_status, blocked sending the result
// for "d" when main stops reading, exits once done is closed.
#include <gort/gort.hpp>

#include "../example.hpp"  // settle: the leak check

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <variant>
#include <vector>

using namespace std::chrono_literals;

struct http_response {
  std::string status;
};
struct result {
  std::optional<std::string> error;  // nullopt: Go's nil error
  std::optional<http_response> response;
};

result http_get(const std::string& url) {
  if (url.rfind("https://", 0) != 0)
    return {"Get " + url + ": unsupported protocol scheme \"\"", {}};
  return {{}, http_response{"200 OK"}};
}

gort::recv_chan<result> check_status(gort::recv_chan<std::monostate> done,
                                     std::vector<std::string> urls) {
  auto results = gort::make_chan<result>();
  gort::go([=] {
    for (const std::string& url : urls)
      if (gort::select(gort::case_recv(done),
                       gort::case_send(results, http_get(url))) == 0)
        break;
    results.close();  // Go: defer close(results)
  });
  return results;
}

int main() {
  return gort::run([] {
    const std::size_t baseline = gort::num_goroutines();
    auto done = gort::make_chan<std::monostate>();
    int err_count = 0;
    std::vector<std::string> urls{"a", "https://www.google.com", "b", "c", "d"};
    for (const result& res : check_status(done, urls)) {
      if (res.error) {
        std::printf("error: %s\n", res.error->c_str());
        if (++err_count >= 3) {
          std::printf("Too many errors, breaking!\n");
          break;
        }
        continue;
      }
      std::printf("Response: %s\n", res.response->status.c_str());
    }
    done.close();  // Go: defer close(done)
    if (settle(baseline) <= baseline) return 0;
    std::fprintf(stderr, "check_status did not exit after done was closed\n");
    return 1;
  });
}
