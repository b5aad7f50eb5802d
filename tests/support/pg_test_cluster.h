// A throwaway PostgreSQL 15 cluster for tests and benchmarks: initdb into a temporary directory,
// a server on 127.0.0.1 at a free port (and a Unix socket in the same directory), databases
// created on demand. Part of the omnivox_test_support library (tests/CMakeLists.txt).
//
//     omnivox::testing::PgTestCluster& pg = omnivox::testing::PgTestCluster::shared();
//     std::string conninfo = pg.create_database("my_test");   // "host=127.0.0.1 port=... ..."
//     auto storage = omnivox::make_postgres_storage(conninfo);
//     pg.stop_server();   // the database goes away ...
//     pg.start_server();  // ... and comes back on the same port with the same data
//
// Running as root (CI), the directory is chowned to the `postgres` user and initdb / pg_ctl run
// through `runuser -u postgres --` (initdb refuses root); otherwise they run directly. The
// superuser is "postgres" either way, authentication is `trust`, fsync is off: never use it for
// data you want to keep. Binaries: /usr/lib/postgresql/15/bin, or $OMNIVOX_PG_BIN_DIR.
//
// Errors: std::runtime_error naming the command that failed and the tail of its log.
// Thread-safety: none; use one object from one thread (the server itself serves any number of
// connections, from any process).
#ifndef OMNIVOX_TESTS_SUPPORT_PG_TEST_CLUSTER_H_
#define OMNIVOX_TESTS_SUPPORT_PG_TEST_CLUSTER_H_

#include <string>
#include <vector>

namespace omnivox::testing {

class PgTestCluster {
 public:
  /// Creates a fresh cluster in a new temporary directory (under $TMPDIR, or /tmp when root)
  /// and starts it. The destructor stops the server and removes the directory.
  PgTestCluster();
  /// Uses `dir` (created if missing): initialises a cluster in dir/data unless one is there,
  /// and starts it unless it is already running (the port is kept in dir/port). With
  /// `remove_on_destroy` false the destructor leaves the server running and the directory in
  /// place (the omnivox_pg_cluster tool's `start`).
  PgTestCluster(const std::string& dir, bool remove_on_destroy);
  ~PgTestCluster();
  PgTestCluster(const PgTestCluster&) = delete;
  PgTestCluster& operator=(const PgTestCluster&) = delete;

  /// Stops the server of the cluster in `dir` (made by the constructor above) if it runs;
  /// leaves the directory in place.
  static void stop_at(const std::string& dir);

  /// The cluster of this process: created and started on first use, stopped and removed when
  /// the process exits normally (a static's destructor: a forked child must leave with _exit,
  /// or it stops the parent's server).
  static PgTestCluster& shared();

  /// Stops the server (pg_ctl stop -m fast): connections break, the data stays.
  void stop_server();
  /// Starts the server again on the same port with the same data directory; waits until it
  /// accepts connections.
  void start_server();
  /// True between start_server() and stop_server().
  bool running() const { return running_; }

  /// The TCP port on 127.0.0.1.
  int port() const { return port_; }
  /// The cluster directory (the data directory is dir()/data, the socket is in dir()).
  const std::string& dir() const { return dir_; }
  /// A libpq keyword connection string for `dbname` over TCP:
  /// "host=127.0.0.1 port=PORT user=postgres dbname=DBNAME connect_timeout=5".
  std::string conninfo(const std::string& dbname = "postgres") const;
  /// The same over the Unix socket in dir() (faster; for benchmarks).
  std::string socket_conninfo(const std::string& dbname = "postgres") const;
  /// Creates database `name` (optionally as a copy of `template_db`) and returns conninfo(name).
  /// `name`: letters, digits and '_' only.
  std::string create_database(const std::string& name, const std::string& template_db = "");
  /// Drops database `name` if it exists (terminating its connections).
  void drop_database(const std::string& name);
  /// Runs SQL as the superuser in database `dbname`, outside a transaction block (so CREATE
  /// DATABASE / ALTER DATABASE work). For test setup only: never pass untrusted text.
  void exec(const std::string& sql, const std::string& dbname = "postgres");
  /// Runs a query as the superuser and returns the first column of the first row ("" if none).
  std::string query_value(const std::string& sql, const std::string& dbname = "postgres");

 private:
  struct Attach {};
  PgTestCluster(Attach, const std::string& dir, const std::string& bin_dir);
  void init_if_needed();
  void run_tool(const std::vector<std::string>& args, const std::string& what);
  std::string bin(const std::string& tool) const;

  std::string dir_;
  std::string bin_dir_;
  int port_ = 0;
  bool running_ = false;
  bool remove_on_destroy_ = true;
  bool as_postgres_user_ = false;
};

}  // namespace omnivox::testing

#endif  // OMNIVOX_TESTS_SUPPORT_PG_TEST_CLUSTER_H_
