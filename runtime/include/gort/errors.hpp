// gort/errors.hpp: the exception type that gort throws for misuse.
#pragma once

#include <stdexcept>
#include <string>

namespace gort {

// usage_error is thrown when a program uses a gort object in a way the
// contract forbids: send on a closed channel, close of a nil or closed
// channel, a negative wait group counter, unlock of an unlocked mutex.
// The message names the operation ("gort: close of closed channel").
// It derives from std::logic_error because the fix is in the caller's code.
//
// Example:
//   try {
//     c.close();
//     c.close();
//   } catch (const gort::usage_error& e) {
//     std::puts(e.what());  // gort: close of closed channel
//   }
class usage_error : public std::logic_error {
 public:
  explicit usage_error(const std::string& what) : std::logic_error(what) {}
  explicit usage_error(const char* what) : std::logic_error(what) {}
};

}  // namespace gort
