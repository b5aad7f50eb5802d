// omnivox_pg_cluster: a throwaway PostgreSQL cluster for shell and multi-process tests.
//
//   omnivox_pg_cluster start DIR          initdb into DIR (if new), start the server on a free
//                                         127.0.0.1 port, print the conninfo of database
//                                         "postgres" and exit, leaving the server running
//   omnivox_pg_cluster createdb DIR NAME  create database NAME, print its conninfo
//   omnivox_pg_cluster stop DIR           stop the server (DIR stays; remove it yourself)
//
// Exit status 0 on success, 1 with a message on stderr otherwise.
#include <cstdio>
#include <exception>
#include <string>

#include "pg_test_cluster.h"

int main(int argc, char** argv) {
  using omnivox::testing::PgTestCluster;
  const std::string usage = "usage: omnivox_pg_cluster start DIR | createdb DIR NAME | stop DIR\n";
  if (argc < 3) {
    std::fputs(usage.c_str(), stderr);
    return 1;
  }
  const std::string cmd = argv[1];
  const std::string dir = argv[2];
  try {
    if (cmd == "start" && argc == 3) {
      PgTestCluster cluster(dir, /*remove_on_destroy=*/false);
      std::printf("%s\n", cluster.conninfo().c_str());
    } else if (cmd == "createdb" && argc == 4) {
      PgTestCluster cluster(dir, /*remove_on_destroy=*/false);
      std::printf("%s\n", cluster.create_database(argv[3]).c_str());
    } else if (cmd == "stop" && argc == 3) {
      PgTestCluster::stop_at(dir);
    } else {
      std::fputs(usage.c_str(), stderr);
      return 1;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "omnivox_pg_cluster: %s\n", e.what());
    return 1;
  }
  return 0;
}
