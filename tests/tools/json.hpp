// A small strict JSON parser (RFC 8259) for checking gort-trace's Chrome
// export: it rejects anything a strict parser would (trailing commas,
// control characters or invalid UTF-8 in strings, bad escapes, lone
// surrogates, leading zeros, trailing garbage) and returns the value tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gort_test::json {

// value is a parsed JSON value.
struct value {
  enum kind_t { null, boolean, number, string, array, object };
  kind_t kind = null;
  bool b = false;
  double num = 0;
  std::string text;  // a string's value, or a number's literal text
  std::vector<value> items;
  std::vector<std::pair<std::string, value>> members;

  // get returns the first member named key, or nullptr.
  const value* get(std::string_view key) const {
    for (const auto& [k, v] : members)
      if (k == key) return &v;
    return nullptr;
  }
  // at returns the member named key; throws if there is none.
  const value& at(std::string_view key) const {
    const value* v = get(key);
    if (v == nullptr)
      throw std::runtime_error("json: no member " + std::string(key));
    return *v;
  }
};

class parser {
 public:
  explicit parser(std::string_view s) : s_(s) {}

  value document() {
    ws();
    value v = parse_value(0);
    ws();
    if (i_ != s_.size()) fail("trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("json: offset " + std::to_string(i_) + ": " + why);
  }
  bool more() const { return i_ < s_.size(); }
  char peek() const { return more() ? s_[i_] : '\0'; }
  void expect(char c) {
    if (peek() != c || !more()) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  void ws() {
    while (more() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' ||
                      s_[i_] == '\r'))
      ++i_;
  }
  void literal(std::string_view word) {
    if (s_.substr(i_, word.size()) != word) fail("bad literal");
    i_ += word.size();
  }

  value parse_value(int depth) {
    if (depth > 256) fail("too deep");
    value v;
    if (!more()) fail("unexpected end");
    char c = s_[i_];
    if (c == '{') {
      v.kind = value::object;
      ++i_;
      ws();
      if (peek() == '}' && more()) {
        ++i_;
        return v;
      }
      for (;;) {
        ws();
        if (peek() != '"') fail("expected a member name");
        std::string k = parse_string();
        ws();
        expect(':');
        ws();
        v.members.emplace_back(std::move(k), parse_value(depth + 1));
        ws();
        if (peek() == ',' && more()) {
          ++i_;
          continue;
        }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = value::array;
      ++i_;
      ws();
      if (peek() == ']' && more()) {
        ++i_;
        return v;
      }
      for (;;) {
        ws();
        v.items.push_back(parse_value(depth + 1));
        ws();
        if (peek() == ',' && more()) {
          ++i_;
          continue;
        }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.kind = value::string;
      v.text = parse_string();
      return v;
    }
    if (c == 't' || c == 'f') {
      v.kind = value::boolean;
      v.b = c == 't';
      literal(v.b ? "true" : "false");
      return v;
    }
    if (c == 'n') {
      literal("null");
      return v;
    }
    v.kind = value::number;
    v.text = parse_number();
    v.num = std::stod(v.text);
    return v;
  }

  static bool digit(char c) { return c >= '0' && c <= '9'; }

  std::string parse_number() {
    std::size_t start = i_;
    if (peek() == '-') ++i_;
    if (!more() || !digit(s_[i_])) fail("bad number");
    if (s_[i_] == '0') {
      ++i_;
    } else {
      while (more() && digit(s_[i_])) ++i_;
    }
    if (more() && s_[i_] == '.') {
      ++i_;
      if (!more() || !digit(s_[i_])) fail("bad fraction");
      while (more() && digit(s_[i_])) ++i_;
    }
    if (more() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (more() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!more() || !digit(s_[i_])) fail("bad exponent");
      while (more() && digit(s_[i_])) ++i_;
    }
    return std::string(s_.substr(start, i_ - start));
  }

  unsigned hex4() {
    if (i_ + 4 > s_.size()) fail("short \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = s_[i_++];
      v <<= 4;
      if (digit(c)) {
        v |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        v |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        v |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("bad hex digit");
      }
    }
    return v;
  }

  static void put_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // utf8 checks the raw UTF-8 sequence at i_ and copies it to out.
  void utf8(std::string& out) {
    auto at = [&](std::size_t j) { return static_cast<unsigned char>(s_[j]); };
    unsigned char c = at(i_);
    std::size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    } else {
      fail("invalid UTF-8 lead byte");
    }
    if (i_ + n > s_.size()) fail("truncated UTF-8");
    if (at(i_ + 1) < lo || at(i_ + 1) > hi) fail("invalid UTF-8");
    for (std::size_t j = 2; j < n; ++j)
      if ((at(i_ + j) & 0xC0) != 0x80) fail("invalid UTF-8");
    out.append(s_.substr(i_, n));
    i_ += n;
  }

  std::string parse_string() {
    expect('"');
    std::string out;
    for (;;) {
      if (!more()) fail("unterminated string");
      auto c = static_cast<unsigned char>(s_[i_]);
      if (c == '"') {
        ++i_;
        return out;
      }
      if (c < 0x20) fail("control character in a string");
      if (c >= 0x80) {
        utf8(out);
        continue;
      }
      ++i_;
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (!more()) fail("unterminated escape");
      char e = s_[i_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xDC00 && cp <= 0xDFFF) fail("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (s_.substr(i_, 2) != "\\u") fail("lone high surrogate");
            i_ += 2;
            unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          put_utf8(out, cp);
          break;
        }
        default:
          fail("bad escape");
      }
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// parse parses a whole JSON text; throws std::runtime_error if it is not
// valid JSON.
inline value parse(std::string_view text) { return parser(text).document(); }

}  // namespace gort_test::json
