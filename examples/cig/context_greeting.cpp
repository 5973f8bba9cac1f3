// Concurrency in Go (Cox-Buday, 2017), ch. 4, "The context Package":
// print_greeting and print_farewell share a cancellable context;
// gen_greeting adds a 1 s timeout, which locale (it needs 1 min) sees it
// cannot meet, so it fails at once with "context deadline exceeded"; main
// then cancels, and print_farewell, waiting on ctx.done() in locale, fails
// with "context canceled". The book's durations: the program takes no time.
// Checks (context_greeting.out): those two lines, in that order.
#include <gort/gort.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <system_error>
#include <utility>

using namespace std::chrono_literals;
using result = std::pair<std::string, std::error_code>;  // Go: (string, error)

result locale(const gort::context& ctx) {
  if (auto deadline = ctx.deadline())
    if (*deadline - (std::chrono::steady_clock::now() + 1min) <= 0s)
      return {"", gort::errc::deadline_exceeded};
  std::error_code err;
  gort::select(gort::case_recv(ctx.done(), [&] { err = ctx.err(); }),
               gort::case_recv(gort::after(1min)));
  if (err) return {"", err};
  return {"EN/US", {}};
}

result gen_greeting(const gort::context& parent) {
  auto [ctx, cancel] = gort::with_timeout(parent, 1s);
  auto [loc, err] = locale(ctx);
  cancel();  // Go: defer cancel()
  if (err) return {"", err};
  if (loc == "EN/US") return {"hello", {}};
  return {"", std::make_error_code(std::errc::not_supported)};
}

result gen_farewell(const gort::context& ctx) {
  auto [loc, err] = locale(ctx);
  if (err) return {"", err};
  if (loc == "EN/US") return {"goodbye", {}};
  return {"", std::make_error_code(std::errc::not_supported)};
}

std::error_code print_greeting(const gort::context& ctx) {
  auto [greeting, err] = gen_greeting(ctx);
  if (err) return err;
  std::printf("%s world!\n", greeting.c_str());
  return {};
}

std::error_code print_farewell(const gort::context& ctx) {
  auto [farewell, err] = gen_farewell(ctx);
  if (err) return err;
  std::printf("%s world!\n", farewell.c_str());
  return {};
}

int main() {
  return gort::run([] {
    gort::wait_group wg;
    auto [ctx, cancel] = gort::with_cancel(gort::context::background());
    wg.add(1);
    gort::go([&, ctx = ctx, cancel = cancel] {
      if (auto err = print_greeting(ctx)) {
        std::printf("cannot print greeting: %s\n", err.message().c_str());
        cancel();
      }
      wg.done();
    });
    wg.add(1);
    gort::go([&, ctx = ctx] {
      if (auto err = print_farewell(ctx))
        std::printf("cannot print farewell: %s\n", err.message().c_str());
      wg.done();
    });
    wg.wait();
    cancel();  // Go: defer cancel()
    return 0;
  });
}
