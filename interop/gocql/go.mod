module github.com/sibyldb/sibyl/interop/gocql

go 1.26.0
