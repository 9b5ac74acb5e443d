"""One JSON-argument parser for every JSON job argument: duplicate keys, @path files, syntax errors."""

from __future__ import annotations

import json

import pytest

from secure_transform.anomaly import parse_anomaly_config
from secure_transform.binning import parse_binning_config
from secure_transform.errors import ConfigError
from secure_transform.jsonargs import parse_json_arg
from secure_transform.masking import parse_masking_policy
from secure_transform.tokenization import parse_pii_columns

# parameter -> (parser, a valid JSON text, the same with one key given twice, what the valid text parses to)
PARSERS = {
    "--pii_columns": (parse_pii_columns, '{"email": {"method": "hash"}}',
                      '{"email": {"method": "hash"}, "email": {"method": "drop"}}',
                      lambda cfg: [(c.name, c.method) for c in cfg.columns] == [("email", "hash")]),
    "--binning_config": (parse_binning_config, '{"method": "quantile", "n_bins": 4}',
                         '{"method": "quantile", "n_bins": 4, "method": "fixed_width"}',
                         lambda cfg: (cfg.method, cfg.n_bins) == ("quantile", 4)),
    "--anomaly_config": (lambda v: parse_anomaly_config(v, 0.01), '{"n_estimators": 50}',
                         '{"n_estimators": 50, "sample_size": 64, "n_estimators": 10}',
                         lambda cfg: cfg.n_estimators == 50),
    "--masking_policy": (parse_masking_policy, '{"types": {"NAME": "tokenize"}}',
                         '{"types": {"NAME": "tokenize", "NAME": "keep"}}',
                         lambda policy: policy.types["NAME"] == "tokenize"),
}


@pytest.mark.parametrize("parameter", sorted(PARSERS))
def test_a_key_given_twice_is_refused_never_last_one_wins(parameter):
    parse, _, twice, _ = PARSERS[parameter]
    with pytest.raises(ConfigError) as exc:
        parse(twice)
    assert exc.value.parameter == parameter
    assert "appears more than once in the JSON" in str(exc.value)


@pytest.mark.parametrize("parameter", sorted(PARSERS))
def test_every_json_argument_reads_an_at_path_file(parameter, tmp_path):
    parse, valid, _, check = PARSERS[parameter]
    path = tmp_path / "arg.json"
    path.write_text(valid)
    assert check(parse(f"@{path}")) and check(parse(valid))
    with pytest.raises(ConfigError, match=f"^{parameter}: cannot read the file"):
        parse(f"@{tmp_path / 'missing.json'}")


@pytest.mark.parametrize("parameter", sorted(PARSERS))
def test_syntax_errors_name_the_parameter_and_position_not_the_text(parameter):
    parse = PARSERS[parameter][0]
    secret = '{"x": "4556737586899855", '
    with pytest.raises(ConfigError) as exc:
        parse(secret)
    message = str(exc.value)
    assert message.startswith(f"{parameter}: is not valid JSON (") and "line 1 column 26" in message
    assert "4556737586899855" not in message


def test_parse_json_arg_passes_parsed_values_and_none_through():
    assert parse_json_arg(None, "--x") is None
    value = {"a": [1, 2]}
    assert parse_json_arg(value, "--x") is value
    assert parse_json_arg(' {"a": {"b": 1, "c": 2}} ', "--x") == {"a": {"b": 1, "c": 2}}
    # duplicates are checked in nested objects too, and equal keys in different objects are fine
    assert parse_json_arg('{"a": {"k": 1}, "b": {"k": 2}}', "--x") == {"a": {"k": 1}, "b": {"k": 2}}
    with pytest.raises(ConfigError, match="key 'k' appears more than once"):
        parse_json_arg('{"a": {"k": 1, "k": 2}}', "--x")
    assert json.loads('{"k": 1, "k": 2}') == {"k": 2}  # what json.loads alone would have done
