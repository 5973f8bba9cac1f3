// Concurrency in Go (Cox-Buday, 2017), ch. 4, "The context Package",
// request-scoped data: process_request stores the user id and auth token in
// the context under keys of their own (Go: constants of an unexported
// ctxKey type; gort: context_key<T>, so values come back typed, without
// type assertions). Checks (context_values.out): the book's line; and, on
// stderr with exit 1 if not, that a key never set finds nothing.
#include <gort/gort.hpp>

#include <cstdio>
#include <string>
#include <utility>

gort::context_key<std::string> ctx_user_id;
gort::context_key<std::string> ctx_auth_token;

std::string user_id(const gort::context& c) { return *c.value(ctx_user_id); }
std::string auth_token(const gort::context& c) {
  return *c.value(ctx_auth_token);
}

void handle_response(const gort::context& ctx) {
  std::printf("handling response for %s (auth: %s)\n", user_id(ctx).c_str(),
              auth_token(ctx).c_str());
}

void process_request(std::string user, std::string token) {
  auto ctx = gort::with_value(gort::context::background(), ctx_user_id,
                              std::move(user));
  ctx = gort::with_value(ctx, ctx_auth_token, std::move(token));
  handle_response(ctx);
}

int main() {
  return gort::run([] {
    process_request("jane", "abc123");
    // Keys compare by identity: another key of the same type finds nothing.
    gort::context_key<std::string> other;
    auto ctx = gort::with_value(gort::context::background(), ctx_user_id,
                                std::string("jane"));
    if (ctx.value(other) != nullptr || ctx.value(ctx_auth_token) != nullptr) {
      std::fprintf(stderr, "a key that was never set found a value\n");
      return 1;
    }
    return 0;
  });
}
