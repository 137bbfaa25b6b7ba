package shell

import "sort"

// helpTopics is the text of HELP <topic>.
var helpTopics = map[string]string{
	"CONSISTENCY":        "CONSISTENCY [level]\n  Shows or sets the consistency level of the statements that follow\n  (ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_ONE, LOCAL_QUORUM, EACH_QUORUM).",
	"SERIAL CONSISTENCY": "SERIAL CONSISTENCY [SERIAL | LOCAL_SERIAL]\n  Shows or sets the serial consistency level.",
	"EXPAND":             "EXPAND [ON | OFF]\n  Prints each row as a block of 'column | value' lines.",
	"PAGING":             "PAGING [ON | OFF | n]\n  Pages through results n rows at a time, waiting at ---MORE---.",
	"SHOW":               "SHOW VERSION | SHOW HOST\n  Prints the versions, or the host this shell is connected to.",
	"SOURCE":             "SOURCE 'file'\n  Runs the statements in a file.",
	"COPY":               "COPY ks.t [(col, ...)] TO 'file.csv' [WITH HEADER = true [AND DELIMITER = ',' [AND NULL = '']]]\nCOPY ks.t [(col, ...)] FROM 'file.csv' [WITH HEADER = true [AND ... AND MAXREQUESTS = 16]]\n  Exports rows to CSV, or imports them with prepared INSERTs.",
	"DESCRIBE":           "DESCRIBE [FULL] SCHEMA | KEYSPACES | KEYSPACE [ks] | TABLES | TABLE t | TYPES | TYPE t | CLUSTER | name\n  Prints schema, as the server describes it.",
	"TRACING":            "TRACING [ON|OFF]\n  Shows or sets tracing: with it on, each statement's trace (its session in\n  system_traces) is printed after its result.",
	"CLEAR":              "CLEAR (or CLS)\n  Clears the terminal.",
	"EXIT":               "EXIT (or QUIT)\n  Leaves the shell.",
	"USE":                "USE ks;\n  Makes ks the keyspace of unqualified table names.",
	"HELP":               "HELP [topic]\n  Lists the shell commands, or explains one.",
}

func helpNames() []string {
	names := make([]string, 0, len(helpTopics))
	for n := range helpTopics {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
