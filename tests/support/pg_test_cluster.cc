// PgTestCluster (see pg_test_cluster.h): initdb / pg_ctl through fork + exec, SQL through libpqxx.
#include "pg_test_cluster.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>

namespace omnivox::testing {
namespace {

namespace fs = std::filesystem;

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's choice for port 0).
int pick_free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("PgTestCluster: socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("PgTestCluster: cannot find a free port on 127.0.0.1");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

std::string tail_of(const std::string& path, std::size_t max_chars = 2000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_chars ? s.substr(s.size() - max_chars) : s;
}

std::string make_temp_dir() {
  // As root the cluster runs as `postgres`, which must be able to reach the directory: /tmp,
  // whatever TMPDIR says (it may point into root's home).
  const char* base = ::geteuid() == 0 ? nullptr : std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/omnivox-pg-XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (::mkdtemp(buf.data()) == nullptr) {
    throw std::runtime_error("PgTestCluster: mkdtemp " + pattern + " failed");
  }
  return buf.data();
}

}  // namespace

PgTestCluster::PgTestCluster() : PgTestCluster(make_temp_dir(), true) {}

PgTestCluster::PgTestCluster(const std::string& dir, bool remove_on_destroy)
    : dir_(fs::absolute(dir).lexically_normal().string()), remove_on_destroy_(remove_on_destroy) {
  const char* env_bin = std::getenv("OMNIVOX_PG_BIN_DIR");
  bin_dir_ = env_bin && *env_bin ? env_bin : "/usr/lib/postgresql/15/bin";
  if (!dir_.empty() && dir_.back() == '/') dir_.pop_back();
  fs::create_directories(dir_);
  as_postgres_user_ = ::geteuid() == 0;
  if (as_postgres_user_) {
    // initdb refuses to run as root: the cluster belongs to the postgres user.
    passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) {
      throw std::runtime_error(
          "PgTestCluster: running as root but there is no 'postgres' user (install the "
          "postgresql package)");
    }
    if (::chown(dir_.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
      throw std::runtime_error("PgTestCluster: chown " + dir_ + " to postgres failed");
    }
  }
  ::chmod(dir_.c_str(), 0700);
  init_if_needed();
}

PgTestCluster::~PgTestCluster() {
  if (!remove_on_destroy_) return;
  try {
    if (running_) stop_server();
  } catch (...) {
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

PgTestCluster& PgTestCluster::shared() {
  static PgTestCluster cluster;
  return cluster;
}

void PgTestCluster::stop_at(const std::string& dir) {
  const char* env_bin = std::getenv("OMNIVOX_PG_BIN_DIR");
  std::string bin_dir = env_bin && *env_bin ? env_bin : "/usr/lib/postgresql/15/bin";
  std::string abs = fs::absolute(dir).lexically_normal().string();
  if (!fs::exists(abs + "/data/PG_VERSION")) {
    throw std::runtime_error("PgTestCluster: no cluster in " + abs);
  }
  // A stand-in object that owns nothing: only its tool runner is used.
  PgTestCluster c(Attach{}, abs, bin_dir);
  try {
    c.run_tool({bin_dir + "/pg_ctl", "-D", abs + "/data", "status"}, "pg_ctl status");
  } catch (const std::runtime_error&) {
    return;  // not running
  }
  c.stop_server();
}

PgTestCluster::PgTestCluster(Attach, const std::string& dir, const std::string& bin_dir)
    : dir_(dir),
      bin_dir_(bin_dir),
      remove_on_destroy_(false),
      as_postgres_user_(::geteuid() == 0) {}

std::string PgTestCluster::bin(const std::string& tool) const { return bin_dir_ + "/" + tool; }

void PgTestCluster::run_tool(const std::vector<std::string>& args, const std::string& what) {
  std::vector<std::string> argv;
  if (as_postgres_user_) argv = {"/usr/sbin/runuser", "-u", "postgres", "--"};
  argv.insert(argv.end(), args.begin(), args.end());
  const std::string log = dir_ + "/tools.log";
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("PgTestCluster: fork failed");
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
    }
    int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    // The server must not inherit the caller's pipes or sockets (a test runner waits for its
    // pipes to close).
    for (int i = 3; i < 1024; ++i) ::close(i);
    std::vector<char*> cargs;
    for (auto& a : argv) cargs.push_back(a.data());
    cargs.push_back(nullptr);
    ::execv(cargs[0], cargs.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw std::runtime_error("PgTestCluster: " + what + " failed (" + argv[0] +
                             " ...): " + tail_of(log));
  }
}

void PgTestCluster::init_if_needed() {
  const std::string data = dir_ + "/data";
  if (!fs::exists(data + "/PG_VERSION")) {
    run_tool({bin("initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
              "--locale=C", "--no-sync"},
             "initdb");
  }
  const std::string port_file = dir_ + "/port";
  if (fs::exists(port_file)) {
    std::ifstream(port_file) >> port_;
  }
  if (port_ == 0) {
    port_ = pick_free_port();
    std::ofstream(port_file) << port_ << "\n";
  }
  // Already running (a second `omnivox_pg_cluster start` on the same directory)?
  try {
    run_tool({bin("pg_ctl"), "-D", data, "status"}, "pg_ctl status");
    running_ = true;
  } catch (const std::runtime_error&) {
    start_server();
  }
}

void PgTestCluster::start_server() {
  const std::string opts = "-p " + std::to_string(port_) + " -k " + dir_ +
                           " -c listen_addresses=127.0.0.1 -c fsync=off"
                           " -c synchronous_commit=off -c full_page_writes=off"
                           " -c max_connections=200";
  run_tool({bin("pg_ctl"), "-D", dir_ + "/data", "-l", dir_ + "/server.log", "-w", "-t", "60", "-o",
            opts, "start"},
           "pg_ctl start");
  running_ = true;
}

void PgTestCluster::stop_server() {
  run_tool({bin("pg_ctl"), "-D", dir_ + "/data", "-m", "fast", "-w", "-t", "60", "stop"},
           "pg_ctl stop");
  running_ = false;
}

std::string PgTestCluster::conninfo(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname +
         " connect_timeout=5";
}

std::string PgTestCluster::socket_conninfo(const std::string& dbname) const {
  return "host=" + dir_ + " port=" + std::to_string(port_) + " user=postgres dbname=" + dbname;
}

std::string PgTestCluster::create_database(const std::string& name,
                                           const std::string& template_db) {
  pqxx::connection c(conninfo());
  pqxx::nontransaction tx(c);
  std::string sql = "CREATE DATABASE " + c.quote_name(name);
  if (!template_db.empty()) sql += " TEMPLATE " + c.quote_name(template_db);
  tx.exec(sql);
  return conninfo(name);
}

void PgTestCluster::drop_database(const std::string& name) {
  pqxx::connection c(conninfo());
  pqxx::nontransaction tx(c);
  tx.exec("DROP DATABASE IF EXISTS " + c.quote_name(name) + " WITH (FORCE)");
}

void PgTestCluster::exec(const std::string& sql, const std::string& dbname) {
  pqxx::connection c(conninfo(dbname));
  pqxx::nontransaction tx(c);
  tx.exec(sql);
}

std::string PgTestCluster::query_value(const std::string& sql, const std::string& dbname) {
  pqxx::connection c(conninfo(dbname));
  pqxx::nontransaction tx(c);
  pqxx::result r = tx.exec(sql);
  if (r.empty() || r[0].empty() || r[0][0].is_null()) return "";
  return r[0][0].as<std::string>();
}

}  // namespace omnivox::testing
