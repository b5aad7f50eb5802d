// `omnivox twilio verify-signature` and `omnivox twilio serve`'s option checks, run as a user runs
// them: the CLI binary built beside this test binary (<build>/src/cli/omnivox), skipped when it
// was not built. Exit codes: 0 valid, 1 invalid, 2 bad usage.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Outcome {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

fs::path cli_path() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return self.parent_path().parent_path() / "src" / "cli" / "omnivox";
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

Outcome run_cli(const std::vector<std::string>& args) {
  std::string command = shell_quote(cli_path().string());
  for (const std::string& a : args) command += " " + shell_quote(a);
  command += " </dev/null 2>&1";
  Outcome out;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) out.output.append(buf, n);
  int status = ::pclose(pipe);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

class TwilioCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(cli_path())) GTEST_SKIP() << "no CLI binary at " << cli_path();
    dir_ = fs::temp_directory_path() / ("omnivox_twilio_cli_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& content) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    return p.string();
  }
  fs::path dir_;
};

const std::string kBodyHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
const std::string kJsonBody = R"({"property": "value", "boolean": true})";

TEST_F(TwilioCli, JsonBodyIsValidWithBodySha256AndInvalidWithout) {
  std::string body = write("body.json", kJsonBody);
  // twilio-python's vector, received behind port 1234.
  auto valid = run_cli({"twilio", "verify-signature", "--token", "12345", "--url",
                        "https://mycompany.com:1234/myapp.php?foo=1&bar=2&bodySHA256=" + kBodyHash,
                        "--signature", "a9nBmqA0ju/hNViExpshrM61xv4=", "--body", body});
  EXPECT_EQ(valid.exit_code, 0) << valid.output;
  EXPECT_NE(valid.output.find("valid: yes"), std::string::npos) << valid.output;
  // The same JSON body with no bodySHA256 in the URL: invalid (1), not an error (2).
  auto unhashed = run_cli({"twilio", "verify-signature", "--token", "12345", "--url",
                           "https://mycompany.com/myapp.php?foo=1&bar=2", "--signature",
                           "a9nBmqA0ju/hNViExpshrM61xv4=", "--body", body});
  EXPECT_EQ(unhashed.exit_code, 1) << unhashed.output;
  EXPECT_NE(unhashed.output.find("bodySHA256"), std::string::npos) << unhashed.output;
}

TEST_F(TwilioCli, BodyThatIsADirectoryUnreadableOrEndlessIsRefused) {
  const std::vector<std::string> base = {"twilio",      "verify-signature",
                                         "--token",     "12345",
                                         "--url",       "https://x.example/twilio/status",
                                         "--signature", "AAAA",
                                         "--body"};
  auto with_body = [&](const std::string& path) {
    auto args = base;
    args.push_back(path);
    return run_cli(args);
  };
  auto dir = with_body(dir_.string());
  EXPECT_EQ(dir.exit_code, 2);
  EXPECT_NE(dir.output.find("is a directory"), std::string::npos) << dir.output;
  auto missing = with_body((dir_ / "none").string());
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.output.find("cannot open"), std::string::npos) << missing.output;
  // /dev/zero never ends: the read stops at the server's body limit.
  auto endless = with_body("/dev/zero");
  EXPECT_EQ(endless.exit_code, 2);
  EXPECT_NE(endless.output.find("larger than 65536 bytes"), std::string::npos) << endless.output;
  auto big = with_body(write("big.txt", "CallSid=" + std::string(70 * 1024, 'a')));
  EXPECT_EQ(big.exit_code, 2);
  EXPECT_NE(big.output.find("larger than 65536 bytes"), std::string::npos) << big.output;
}

TEST_F(TwilioCli, ServePortOutsideTheRangeIsRefused) {
  for (const char* port : {"70000", "65536", "-1"}) {
    auto out = run_cli({"twilio", "serve", "--campaign", "none.json", "--public-url",
                        "https://dialer.example.com", "--port", port});
    EXPECT_EQ(out.exit_code, 2) << port << ": " << out.output;
    EXPECT_NE(out.output.find("--port"), std::string::npos) << out.output;
    EXPECT_NE(out.output.find("not in range"), std::string::npos) << out.output;
  }
}

}  // namespace
