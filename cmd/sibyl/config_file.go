package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v3"

	"github.com/sibyldb/sibyl/node"
)

// fileConfig is the YAML file's shape: node.Config's keys (data_dir,
// listen_address, cql_port, admin_port, cluster_name, dc, rack,
// num_tokens, seeds, backend, enable_pprof, max_in_flight, max_frame_size,
// write_timeout, read_timeout, max_timestamp_ahead, shutdown_timeout,
// native_transport_max_request_data_in_flight(_per_ip),
// native_transport_frame_timeout, slow_query_log_timeout,
// storage_cache_size, client_encryption_options, server_encryption_options)
// plus
// the process's logging.
type fileConfig struct {
	node.Config `yaml:",inline"`
	LogLevel    string `yaml:"log_level"`
	LogFormat   string `yaml:"log_format"`
}

// loadFileConfig reads a YAML file into cfg. Unknown keys are an error, so
// a misspelt option is not silently ignored.
func loadFileConfig(path string, cfg *fileConfig) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("cannot read config file: %w", err)
	}
	if err := decodeFileConfig(data, cfg); err != nil {
		return fmt.Errorf("cannot parse config file %s: %w", path, err)
	}
	return nil
}

func decodeFileConfig(data []byte, cfg *fileConfig) error {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
