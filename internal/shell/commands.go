package shell

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/gocql/gocql"
)

// runStatement runs one statement (without its semicolon): a shell
// command handled here, or CQL sent to the server. Only EXIT (errExit) and
// a cancelled context end the run; everything else prints.
func (s *Shell) runStatement(ctx context.Context, stmt string) error {
	words := strings.Fields(stmt)
	switch strings.ToLower(firstWord(stmt)) {
	case "exit", "quit":
		return errExit
	case "help", "?":
		s.help(words[1:])
	case "consistency":
		s.consistencyCmd(words[1:])
	case "serial":
		s.serialCmd(words[1:])
	case "tracing":
		s.tracingCmd(words[1:])
	case "capture":
		s.printErr("CAPTURE is not supported by this shell; redirect its output instead.")
	case "login":
		s.printErr("LOGIN is not supported by this shell; start it again with -u and -p.")
	case "expand":
		s.expandCmd(words[1:])
	case "paging":
		s.pagingCmd(words[1:])
	case "show":
		s.showCmd(ctx, words[1:])
	case "source":
		return s.sourceCmd(ctx, stmt)
	case "clear", "cls":
		s.printf("\033[H\033[2J")
	case "use":
		s.useCmd(ctx, stmt)
	case "describe", "desc":
		s.describe(ctx, stmt)
	case "copy":
		s.copyCmd(ctx, stmt)
	default:
		s.query(ctx, stmt)
	}
	return ctx.Err()
}

func (s *Shell) consistencyCmd(args []string) {
	if len(args) == 0 {
		s.printf("Current consistency level is %s.\n", s.consistency)
		return
	}
	c, err := gocql.ParseConsistencyWrapper(args[0])
	if err != nil || len(args) > 1 {
		s.printErr("Improper CONSISTENCY command.")
		return
	}
	s.consistency = c
	s.printf("Consistency level set to %s.\n", c)
}

func (s *Shell) serialCmd(args []string) {
	if len(args) == 0 || !strings.EqualFold(args[0], "consistency") || len(args) > 2 {
		s.printErr("Improper SERIAL CONSISTENCY command.")
		return
	}
	if len(args) == 1 {
		s.printf("Current serial consistency level is %s.\n", s.serial)
		return
	}
	switch strings.ToUpper(args[1]) {
	case "SERIAL":
		s.serial = gocql.Serial
	case "LOCAL_SERIAL":
		s.serial = gocql.LocalSerial
	default:
		s.printErr("Improper SERIAL CONSISTENCY command: the level must be SERIAL or LOCAL_SERIAL.")
		return
	}
	s.printf("Serial consistency level set to %s.\n", s.serial)
}

func (s *Shell) expandCmd(args []string) {
	switch {
	case len(args) == 0 && s.expand:
		s.printf("Expanded output is currently enabled. Use EXPAND OFF to disable\n")
	case len(args) == 0:
		s.printf("Expanded output is currently disabled. Use EXPAND ON to enable.\n")
	case len(args) == 1 && strings.EqualFold(args[0], "on"):
		if s.expand {
			s.printf("Expanded output is already enabled. Use EXPAND OFF to disable.\n")
			return
		}
		s.expand = true
		s.printf("Now Expanded output is enabled\n")
	case len(args) == 1 && strings.EqualFold(args[0], "off"):
		if !s.expand {
			s.printf("Expanded output is not enabled.\n")
			return
		}
		s.expand = false
		s.printf("Disabled Expanded output.\n")
	default:
		s.printErr("Improper EXPAND command.")
	}
}

func (s *Shell) pagingCmd(args []string) {
	if len(args) == 0 {
		if s.paging {
			s.printf("Query paging is currently enabled. Use PAGING OFF to disable\nPage size: %d\n", s.pageSize)
		} else {
			s.printf("Query paging is currently disabled. Use PAGING ON to enable.\n")
		}
		return
	}
	if len(args) > 1 {
		s.printErr("Improper PAGING command.")
		return
	}
	switch a := strings.ToLower(args[0]); a {
	case "on":
		s.paging = true
		s.printf("Now Query paging is enabled\nPage size: %d\n", s.pageSize)
	case "off":
		s.paging = false
		s.printf("Disabled Query paging.\n")
	default:
		n, err := strconv.Atoi(a)
		if err != nil || n <= 0 {
			s.printErr("Improper PAGING command.")
			return
		}
		s.paging, s.pageSize = true, n
		s.printf("Page size: %d\n", n)
	}
}

func (s *Shell) showCmd(ctx context.Context, args []string) {
	what := ""
	if len(args) == 1 {
		what = strings.ToLower(args[0])
	}
	switch what {
	case "version":
		s.showVersion(ctx)
	case "host":
		s.showHost(ctx)
	default:
		s.printErr("Improper SHOW command: use SHOW VERSION or SHOW HOST.")
	}
}

// localInfo reads the columns of system.local the banner shows.
func (s *Shell) localInfo(ctx context.Context) (cluster, release, cql string, err error) {
	q := s.session.Query("SELECT cluster_name, release_version, cql_version FROM system.local").WithContext(ctx)
	err = q.Scan(&cluster, &release, &cql)
	return cluster, release, cql, err
}

func (s *Shell) showVersion(ctx context.Context) {
	_, release, cqlVersion, err := s.localInfo(ctx)
	if err != nil {
		s.reportErr(ctx, err)
		return
	}
	s.printf("[sibyl shell %s | Cassandra %s | CQL spec %s | Native protocol v4]\n", Version, release, cqlVersion)
}

func (s *Shell) showHost(ctx context.Context) {
	cluster, _, _, err := s.localInfo(ctx)
	if err != nil {
		s.reportErr(ctx, err)
		return
	}
	s.printf("Connected to %s at %s:%d\n", cluster, s.cfg.Host, s.cfg.Port)
}

// Banner prints what cqlsh prints on connecting.
func (s *Shell) Banner(ctx context.Context) {
	s.showHost(ctx)
	s.showVersion(ctx)
	s.printf("Use HELP for help.\n")
}

// maxSourceDepth bounds nested SOURCE commands.
const maxSourceDepth = 16

// sourceCmd runs the statements of a file: SOURCE 'file'.
func (s *Shell) sourceCmd(ctx context.Context, stmt string) error {
	name, ok := quotedArg(strings.TrimSpace(stmt[len("source"):]))
	if !ok {
		s.printErr("Improper SOURCE command: SOURCE 'file'")
		return nil
	}
	data, err := readFile(name)
	if err != nil {
		s.printErr(fmt.Sprintf("Could not open %q: %v", name, err))
		return nil
	}
	if s.depth >= maxSourceDepth {
		s.printErr("SOURCE nested too deeply")
		return nil
	}
	s.depth++
	defer func() { s.depth-- }()
	return s.runText(ctx, string(data))
}

// quotedArg reads a single-quoted string argument (or a bare word).
func quotedArg(s string) (string, bool) {
	if len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'' {
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), true
	}
	if s != "" && !strings.ContainsAny(s, " \t'") {
		return s, true
	}
	return "", false
}

func (s *Shell) help(args []string) {
	if len(args) > 0 {
		topic := strings.ToUpper(strings.Join(args, " "))
		if text, ok := helpTopics[topic]; ok {
			s.printf("%s\n", text)
			return
		}
		s.printErr(fmt.Sprintf("No help topic for %q: type HELP for the list.", strings.Join(args, " ")))
		return
	}
	s.printf("\nDocumented shell commands:\n===========================\n%s\n", columnize(helpNames(), 80))
	s.printf("CQL statements (SELECT, INSERT, UPDATE, DELETE, BATCH, CREATE, ALTER, DROP,\nTRUNCATE, USE) are sent to the server; end them with a semicolon.\n\n")
}
