"""Isolation Forest: config, fit, distributed scoring vs scikit-learn, artifacts, explanations,
evaluation against labels and the ``anomaly`` command."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import warnings

import numpy as np
import pandas as pd
import pytest
from chispa import assert_approx_df_equality

from secure_transform import io as sio
from secure_transform.anomaly import (
    DEFAULT_FEATURES,
    PIPELINE_FEATURES,
    AnomalyConfig,
    AnomalyModel,
    ModelCompatibilityError,
    anomaly_metric_columns,
    evaluate_against_labels,
    fit_anomaly_model,
    parse_anomaly_config,
    score_anomalies,
    threshold_for,
    validate_features,
)
from secure_transform.errors import ConfigError, SchemaError
from secure_transform.features import with_customer_features

# ------------------------------------------------------------------------------ configuration


def test_defaults_match_the_design():
    c = parse_anomaly_config(None, 0.01)
    assert (c.contamination, c.features, c.n_estimators, c.max_samples, c.sample_size) == (
        0.01, ("amount_bin", "merchant_risk", "time_delta", "velocity"), 100, "auto", 200_000)
    assert c.velocity_window.seconds == 3600 and [w.seconds for w in c.velocity_windows] == [3600, 86400]
    assert parse_anomaly_config("", "0.05").contamination == 0.05
    assert parse_anomaly_config('{"contamination": 0.02, "n_estimators": 10}', 0.02).n_estimators == 10


def test_design_json_is_accepted():
    c = parse_anomaly_config('{"contamination": 0.01, "n_estimators": 100, "features": '
                             '["amount_bin", "merchant_risk", "time_delta", "velocity"]}', 0.01)
    assert c == AnomalyConfig()


def test_threshold_message_is_exact():
    with pytest.raises(ConfigError) as err:
        parse_anomaly_config(None, 0.7)
    assert str(err.value) == "--anomaly_threshold: must be in (0, 0.5], got 0.7"


@pytest.mark.parametrize("threshold", [0, -0.1, 0.5000001, 1, "abc", "", None, float("nan"), float("inf"), True])
def test_invalid_threshold(threshold):
    with pytest.raises(ConfigError, match="--anomaly_threshold"):
        parse_anomaly_config(None, threshold)


def test_threshold_bounds_are_inclusive_of_half():
    assert parse_anomaly_config(None, 0.5).contamination == 0.5
    assert parse_anomaly_config(None, "1e-4").contamination == 1e-4


@pytest.mark.parametrize("value,match", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ({"trees": 5}, "unknown option.*trees.*valid: contamination, features"),
    ({"contamination": 0.02}, "contamination differs"),
    ({"features": []}, "features"),
    ({"features": "  "}, "features"),
    ({"features": ["a", "a"]}, "repeat"),
    ({"features": [1]}, "features"),
    ({"features": {"a": 1}}, "features"),
    ({"n_estimators": 0}, "n_estimators"),
    ({"n_estimators": 1.5}, "n_estimators"),
    ({"n_estimators": 10_001}, "n_estimators"),
    ({"max_samples": 1}, "max_samples"),
    ({"max_samples": "all"}, "max_samples"),
    ({"max_samples": 1.5}, "max_samples"),
    ({"max_features": 0}, "max_features"),
    ({"max_features": 5}, "max_features"),
    ({"max_features": 1.01}, "max_features"),
    ({"random_state": -1}, "random_state"),
    ({"random_state": "x"}, "random_state"),
    ({"sample_size": 1}, "sample_size"),
    ({"sample_size": 2_000_001}, "sample_size"),
    ({"velocity_windows": []}, "velocity_windows"),
    ({"velocity_windows": "1h"}, "velocity_windows"),
    ({"velocity_windows": ["1h", "60m"]}, "repeat"),
    ({"velocity_windows": ["1x"]}, "velocity window"),
    ({"velocity_window": "2h"}, "velocity_window must be one of"),
    ({"max_reasons": 0}, "max_reasons"),
    ({"max_reasons": 11}, "max_reasons"),
])
def test_invalid_anomaly_config(value, match):
    with pytest.raises(ConfigError, match="--anomaly_config") as err:
        parse_anomaly_config(value, 0.01)
    assert err.match(match)


def test_velocity_alias_defaults_to_1h_else_first_window():
    assert parse_anomaly_config({"velocity_windows": ["24h", "1h"]}, 0.01).velocity_window.seconds == 3600
    assert parse_anomaly_config({"velocity_windows": ["30m", "6h"]}, 0.01).velocity_window.seconds == 1800


# -------------------------------------------------------------------------- feature validation

SCHEMA = [("customer_id", "string"), ("transaction_ts", "timestamp"), ("amount", "double"),
          ("merchant_category_code", "string"), ("n", "bigint"), ("price", "decimal(10,2)")]


def test_validate_features_accepts_numeric_derived_and_provided():
    validate_features(SCHEMA, parse_anomaly_config({"features": ["amount", "n", "price", "velocity_24h"]}, 0.01))
    validate_features(SCHEMA, AnomalyConfig(), provided=PIPELINE_FEATURES)


def test_unknown_feature_lists_the_valid_names():
    config = parse_anomaly_config({"features": ["amount", "colour"]}, 0.01)
    with pytest.raises(ConfigError, match="--anomaly_config") as err:
        validate_features(SCHEMA, config)
    assert err.match("'colour' is neither a derived feature nor a numeric input column")
    assert err.match("valid features: amount, n, price, time_delta, velocity, velocity_1h, velocity_24h")


def test_default_features_without_pipeline_columns_fail():
    with pytest.raises(ConfigError, match="--anomaly_config.*'amount_bin'"):
        validate_features(SCHEMA, AnomalyConfig())


def test_string_feature_is_not_numeric():
    with pytest.raises(ConfigError, match="'merchant_category_code' is a string column, not numeric"):
        validate_features(SCHEMA, parse_anomaly_config({"features": ["merchant_category_code"]}, 0.01))


def test_derived_feature_needs_customer_and_timestamp():
    config = parse_anomaly_config({"features": ["amount", "time_delta"]}, 0.01)
    with pytest.raises(ConfigError, match="'time_delta' needs column.*customer_id"):
        validate_features([("amount", "double"), ("transaction_ts", "timestamp")], config)


def test_fit_requires_derived_columns_to_exist(spark):
    df = spark.createDataFrame([("C1", dt.datetime(2026, 1, 1), 1.0)], "customer_id string, transaction_ts timestamp, amount double")
    config = parse_anomaly_config({"features": ["amount", "velocity"]}, 0.01)
    with pytest.raises(ConfigError, match="'velocity' is not a column of the input; add the customer features"):
        fit_anomaly_model(df, config)


# -------------------------------------------------------------------------------- fit + score

N = 3000
FEATURES = ["a", "b", "c"]


def _frame(seed: int = 0, n: int = N) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    pdf = pd.DataFrame({"id": np.arange(n), "a": rng.normal(size=n), "b": rng.normal(size=n),
                        "c": rng.normal(size=n), "note": "x"})
    pdf.loc[0, "b"] = 12.0     # planted: b far above its distribution
    pdf.loc[1, "a"] = -12.0    # planted: a far below
    pdf.loc[2:4, "c"] = np.nan  # missing values: imputed, never dropped
    pdf.loc[5, "a"] = np.inf
    return pdf


@pytest.fixture(scope="module")
def data_pdf():
    return _frame()


@pytest.fixture(scope="module")
def data_df(spark, data_pdf):
    return spark.createDataFrame(data_pdf).cache()


@pytest.fixture(scope="module")
def config():
    # max_samples 1024: every tree sees ~1/3 of the rows, so each planted point is isolated in many trees
    return parse_anomaly_config({"features": FEATURES, "n_estimators": 40, "max_samples": 1024, "random_state": 7}, 0.02)


@pytest.fixture(scope="module")
def model(data_df, config):
    return fit_anomaly_model(data_df, config)


@pytest.fixture(scope="module")
def scored_pdf(data_df, model):
    return score_anomalies(data_df, model).toPandas().sort_values("id").reset_index(drop=True)


def _imputed(pdf: pd.DataFrame, model: AnomalyModel) -> np.ndarray:
    x = pdf[list(model.features)].to_numpy(dtype=np.float64)
    return np.where(np.isfinite(x), x, np.asarray(model.impute_values))


def test_distributed_scores_equal_sklearn_score_samples(spark, data_df, data_pdf, model, scored_pdf):
    expected = -model.estimator.score_samples(_imputed(data_pdf, model))
    expected_df = spark.createDataFrame(pd.DataFrame({"id": data_pdf["id"], "anomaly_score": expected}))
    actual_df = score_anomalies(data_df, model).select("id", "anomaly_score")
    assert_approx_df_equality(actual_df, expected_df, precision=1e-12, ignore_row_order=True, ignore_nullable=True)
    np.testing.assert_array_equal(scored_pdf["anomaly_score"].to_numpy(), expected)  # bit-for-bit, in fact
    assert ((scored_pdf["anomaly_score"] > 0) & (scored_pdf["anomaly_score"] <= 1)).all()


def test_is_anomaly_matches_threshold_and_estimator_predict(data_pdf, model, scored_pdf):
    flags = scored_pdf["is_anomaly"].to_numpy()
    np.testing.assert_array_equal(flags, scored_pdf["anomaly_score"].to_numpy() > model.threshold)
    np.testing.assert_array_equal(flags, model.estimator.predict(_imputed(data_pdf, model)) == -1)


def test_every_input_column_and_row_kept(data_pdf, data_df, model, scored_pdf):
    out = score_anomalies(data_df, model)
    assert out.columns == list(data_pdf.columns) + ["anomaly_score", "is_anomaly", "anomaly_reasons"]
    assert dict(out.dtypes)["anomaly_score"] == "double" and dict(out.dtypes)["is_anomaly"] == "boolean"
    assert dict(out.dtypes)["anomaly_reasons"] == "array<string>"
    assert len(scored_pdf) == N and (scored_pdf["note"] == "x").all()
    np.testing.assert_array_equal(scored_pdf["id"], np.arange(N))


def test_contamination_honoured_on_the_training_sample(model, config):
    n = model.training["rows"]
    assert n == N  # sample_size 200,000 > N: the whole input is the sample
    assert abs(model.training["flagged_share"] - config.contamination) <= 1 / (2 * n)
    assert model.training["flagged"] == round(config.contamination * n)


@pytest.mark.parametrize("contamination", [0.001, 0.013, 0.1, 0.5])
def test_threshold_for_flags_round_c_n_rows_when_scores_are_distinct(contamination):
    scores = np.random.default_rng(1).random(997)
    flagged = (scores > threshold_for(scores, contamination)).sum()
    assert flagged == int(np.floor(contamination * 997 + 0.5))
    assert abs(flagged / 997 - contamination) <= 1 / (2 * 997)


def test_threshold_never_splits_a_tie():
    scores = np.array([0.9, 0.8, 0.8, 0.8, 0.5, 0.4, 0.3, 0.2, 0.1, 0.1])
    assert (scores > threshold_for(scores, 0.2)).sum() == 1  # k = 2 would split the 0.8 tie: only 0.9 flagged


def test_flagged_share_on_full_batch_close_to_contamination(data_df, model, scored_pdf):
    rate = scored_pdf["is_anomaly"].mean()
    assert abs(rate - model.config.contamination) <= 1 / (2 * N)  # the batch is the training sample here
    row = score_anomalies(data_df, model).agg(*anomaly_metric_columns()).first()
    assert (row["anomalies_flagged"], row["rows_scored"]) == (int(scored_pdf["is_anomaly"].sum()), N)


def test_reasons_name_the_planted_features_and_only_flagged_rows(scored_pdf):
    assert scored_pdf.loc[0, "is_anomaly"] and scored_pdf.loc[0, "anomaly_reasons"][0] == "b high"
    assert scored_pdf.loc[1, "is_anomaly"] and scored_pdf.loc[1, "anomaly_reasons"][0] == "a low"
    flagged = scored_pdf[scored_pdf["is_anomaly"]]
    assert flagged["anomaly_reasons"].map(lambda r: 1 <= len(r) <= 3).all()
    assert scored_pdf.loc[~scored_pdf["is_anomaly"], "anomaly_reasons"].isna().all()
    pattern = r"^(a|b|c) (high|low|missing)$"
    assert flagged["anomaly_reasons"].explode().str.match(pattern).all()


def test_missing_values_are_imputed_with_training_median(data_pdf, model):
    c = data_pdf["c"].to_numpy()
    assert model.impute_values[2] == pytest.approx(np.nanmedian(c), abs=0)
    a = data_pdf["a"].replace(np.inf, np.nan).to_numpy()
    assert model.impute_values[0] == pytest.approx(np.nanmedian(a), abs=0)
    stats = model.training["feature_stats"]
    assert stats["c"]["missing_share"] == pytest.approx(3 / N) and stats["a"]["missing_share"] == pytest.approx(1 / N)


def test_missing_value_reason_says_missing(spark, model):
    from secure_transform.anomaly import explain_rows

    x = np.array([[model.impute_values[0], 12.0, model.impute_values[2]]])
    reasons = explain_rows(model.estimator, x, np.array([[True, False, False]]), model.features, 3)
    assert reasons[0][0] == "b high" and all(r != "a high" for r in reasons[0])
    reasons = explain_rows(model.estimator, np.array([[-12.0, 0.0, 1.0]]), np.array([[False, False, True]]),
                           model.features, 3)
    assert reasons[0][0] == "a low"


@pytest.mark.parametrize("max_features", [1.0, 2])
def test_vectorised_tree_walk_reaches_sklearn_leaves(data_pdf, max_features):
    from sklearn.ensemble import IsolationForest

    from secure_transform.anomaly import ForestArrays

    x = np.nan_to_num(data_pdf[FEATURES].to_numpy(), nan=0.0, posinf=0.0)
    estimator = IsolationForest(n_estimators=15, max_features=max_features, random_state=3).fit(x)
    credit, signed, leaves = ForestArrays.of(estimator).isolation_credit(x[:300])
    for i, (tree, feats) in enumerate(zip(estimator.estimators_, estimator.estimators_features_)):
        np.testing.assert_array_equal(leaves[:, i], tree.apply(x[:300, feats].astype(np.float32)))
    assert (credit >= 0).all() and (np.abs(signed) <= credit + 1e-12).all()
    # the leaf tables give the same credit as the walk, up to the order of additions
    fast_credit, fast_signed = ForestArrays.of(estimator).path_credit(x[:300])
    np.testing.assert_allclose(fast_credit, credit, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fast_signed, signed, rtol=1e-12, atol=1e-12)
    assert credit.sum() > 100  # the trees do split the rows


def test_sample_is_bounded_by_sample_size(data_df):
    config = parse_anomaly_config({"features": FEATURES, "n_estimators": 5, "sample_size": 500}, 0.1)
    model = fit_anomaly_model(data_df, config)
    assert model.training["rows"] == 500 and model.training["flagged"] == 50
    hinted = fit_anomaly_model(data_df, config, row_count=N)
    assert 0 < hinted.training["rows"] <= 500


def test_tiny_input_fewer_rows_than_max_samples(spark):
    df = spark.createDataFrame([(1.0, 2.0), (1.5, 2.1), (2.0, 2.0), (9.0, 2.05), (1.2, 1.95)], "a double, b double")
    config = parse_anomaly_config({"features": ["a", "b"], "n_estimators": 30, "max_samples": 256}, 0.2)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*max_samples.*")  # scikit-learn's "greater than n" warning
        model = fit_anomaly_model(df, config)
    assert model.training["max_samples_used"] == 5 and model.training["flagged"] == 1
    got = score_anomalies(df, model).collect()
    assert [r["is_anomaly"] for r in got] == [False, False, False, True, False]
    assert got[3]["anomaly_reasons"][0] == "a high"


def test_single_row_input(spark):
    df = spark.createDataFrame([(1.0,)], "a double")
    model = fit_anomaly_model(df, parse_anomaly_config({"features": ["a"], "n_estimators": 3}, 0.5))
    row = score_anomalies(df, model).first()
    assert row["is_anomaly"] is False and row["anomaly_score"] == pytest.approx(0.5)


def test_empty_input_is_a_schema_error(spark):
    df = spark.createDataFrame([], "a double")
    with pytest.raises(SchemaError, match="no rows"):
        fit_anomaly_model(df, parse_anomaly_config({"features": ["a"]}, 0.1))


def test_constant_column_is_never_a_reason(spark):
    rng = np.random.default_rng(3)
    pdf = pd.DataFrame({"k": 5.0, "a": rng.normal(size=400), "b": rng.normal(size=400)})
    df = spark.createDataFrame(pdf)
    model = fit_anomaly_model(df, parse_anomaly_config({"features": ["k", "a", "b"], "n_estimators": 20}, 0.05))
    out = score_anomalies(df, model).toPandas()
    assert out["is_anomaly"].sum() == 20 and np.isfinite(out["anomaly_score"]).all()
    reasons = out.loc[out["is_anomaly"], "anomaly_reasons"].explode()
    assert not reasons.str.startswith("k ").any()


def test_all_identical_rows_flag_nothing(spark):
    df = spark.createDataFrame([(1.0, 2.0)] * 50, "a double, b double")
    model = fit_anomaly_model(df, parse_anomaly_config({"features": ["a", "b"], "n_estimators": 5}, 0.1))
    out = score_anomalies(df, model).toPandas()
    assert model.training["flagged"] == 0 and not out["is_anomaly"].any()
    assert out["anomaly_score"].nunique() == 1


def test_all_missing_feature_is_imputed_with_zero(spark):
    df = spark.createDataFrame([(float(i), None) for i in range(20)], "a double, b double")
    model = fit_anomaly_model(df, parse_anomaly_config({"features": ["a", "b"], "n_estimators": 5}, 0.1))
    assert model.impute_values[1] == 0.0 and model.training["feature_stats"]["b"] == {"missing_share": 1.0}
    assert score_anomalies(df, model).where("anomaly_score is null").count() == 0


def test_integer_decimal_and_boolean_features(spark):
    from decimal import Decimal

    df = spark.createDataFrame([(i, Decimal(i * 2), i % 2 == 0) for i in range(30)], "i int, d decimal(10,2), f boolean")
    model = fit_anomaly_model(df, parse_anomaly_config({"features": ["i", "d", "f"], "n_estimators": 5}, 0.1))
    assert score_anomalies(df, model).where("anomaly_score is not null").count() == 30


def test_scoring_refuses_to_overwrite_output_columns(spark, model):
    df = spark.createDataFrame([(1.0, 1.0, 1.0, 0.0)], "a double, b double, c double, anomaly_score double")
    with pytest.raises(SchemaError, match="anomaly_score"):
        score_anomalies(df, model)


def test_scoring_without_a_feature_column_fails_early(spark, model):
    with pytest.raises(ConfigError, match="--model.*'c'"):
        score_anomalies(spark.createDataFrame([(1.0, 1.0)], "a double, b double"), model)


def test_scoring_plan_runs_python_once_on_feature_columns_only(data_df, model):
    plan = score_anomalies(data_df, model)._jdf.queryExecution().executedPlan().toString()
    assert plan.count("ArrowEvalPython") == 1 and "BatchEvalPython" not in plan


# ------------------------------------------------------------------------------------- artifacts


def test_local_round_trip_gives_identical_scores(tmp_path, data_df, model, scored_pdf):
    loc = sio.parse_location(str(tmp_path / "model"), "--model")
    model.save(loc)
    doc = json.loads((tmp_path / "model" / "model.json").read_text())
    assert doc["features"] == FEATURES and doc["model_id"] == model.model_id and len(model.model_id) == 16
    assert doc["impute_values"] == list(model.impute_values) and doc["threshold"] == model.threshold
    assert doc["sklearn_version"] == "1.6.1" and doc["format_version"] == 1 and doc["created_at"]
    assert (tmp_path / "model" / doc["estimator_file"]).exists()
    loaded = AnomalyModel.load(loc, expected_features=FEATURES)
    assert loaded.model_id == model.model_id and loaded.config == model.config
    again = score_anomalies(data_df, loaded).toPandas().sort_values("id").reset_index(drop=True)
    np.testing.assert_array_equal(again["anomaly_score"], scored_pdf["anomaly_score"])
    assert AnomalyModel.load(loc, expected_features=model.config).threshold == model.threshold
    loaded.save(loc)  # re-saving keeps the identity
    assert json.loads((tmp_path / "model" / "model.json").read_text())["model_id"] == model.model_id


def _saved(tmp_path, model) -> sio.Location:
    loc = sio.parse_location(str(tmp_path / "m"), "--model")
    model.save(loc)
    return loc


def test_refuses_a_different_feature_list(tmp_path, model):
    loc = _saved(tmp_path, model)
    with pytest.raises(ModelCompatibilityError, match="--model.*trained on features \\[a; b; c\\].*\\[a; c; b\\]"):
        AnomalyModel.load(loc, expected_features=["a", "c", "b"])


def test_refuses_a_changed_velocity_window_definition(tmp_path, spark):
    df = spark.createDataFrame([(float(i), i % 3) for i in range(20)], "a double, velocity bigint")
    config = parse_anomaly_config({"features": ["a", "velocity"], "n_estimators": 3}, 0.1)
    loc = _saved(tmp_path, fit_anomaly_model(df, config))
    AnomalyModel.load(loc, expected_features=config)
    other = parse_anomaly_config({"features": ["a", "velocity"], "velocity_window": "24h"}, 0.1)
    with pytest.raises(ModelCompatibilityError, match="86400s"):
        AnomalyModel.load(loc, expected_features=other)


def test_refuses_another_sklearn_minor_version(tmp_path, model):
    loc = _saved(tmp_path, model)
    path = tmp_path / "m" / "model.json"
    doc = json.loads(path.read_text())
    doc["sklearn_version"] = "1.5.2"
    path.write_text(json.dumps(doc))
    with pytest.raises(ModelCompatibilityError, match="scikit-learn 1.5.2; this runtime has 1.6.1"):
        AnomalyModel.load(loc, parameter="--artifacts_location")


def test_refuses_a_replaced_estimator_and_a_missing_model(tmp_path, model):
    loc = _saved(tmp_path, model)
    doc = json.loads((tmp_path / "m" / "model.json").read_text())
    (tmp_path / "m" / doc["estimator_file"]).write_bytes(b"not the estimator")
    with pytest.raises(ModelCompatibilityError, match="does not match the hash"):
        AnomalyModel.load(loc)
    with pytest.raises(ModelCompatibilityError, match="--model.*model.json missing"):
        AnomalyModel.load(sio.parse_location(str(tmp_path / "nothing"), "--model"))


def test_refuses_an_unknown_format_version(tmp_path, model):
    loc = _saved(tmp_path, model)
    path = tmp_path / "m" / "model.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), "format_version": 99}))
    with pytest.raises(ModelCompatibilityError, match="version 99"):
        AnomalyModel.load(loc)


def test_s3_round_trip_with_moto(model, data_pdf):
    import boto3
    from moto import mock_aws

    with mock_aws():
        session = boto3.session.Session(region_name="eu-west-1")
        session.client("s3").create_bucket(Bucket="artifacts-bucket",
                                           CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        loc = sio.parse_location("s3://artifacts-bucket/models/anomaly", "--model")
        model.save(loc, session=session)
        keys = sorted(o["Key"] for o in session.client("s3").list_objects_v2(Bucket="artifacts-bucket")["Contents"])
        assert keys[-1] == "models/anomaly/model.json" and keys[0].startswith("models/anomaly/estimator-")
        loaded = AnomalyModel.load(loc, session=session, expected_features=FEATURES)
    x = _imputed(data_pdf, model)
    np.testing.assert_array_equal(loaded.estimator.score_samples(x), model.estimator.score_samples(x))


# ---------------------------------------------------------------------------------- evaluation


def test_evaluate_against_labels_matches_sklearn_metrics(spark):
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(5)
    n = 2000
    label = (rng.random(n) < 0.05).astype(int)
    score = np.round(np.clip(rng.normal(0.5 + 0.1 * label, 0.05), 0.01, 1.0), 4)
    flag = score > np.quantile(score, 0.97)
    kinds = np.where(label == 1, np.where(rng.random(n) < 0.5, "burst", "extreme_amount"), None)
    ids = [f"T{i:012d}" for i in range(n)]
    scored = spark.createDataFrame(pd.DataFrame({"transaction_id": ids, "anomaly_score": score, "is_anomaly": flag}))
    labels = spark.createDataFrame(pd.DataFrame({"transaction_id": ids + ["T999999999999"], "is_anomaly": list(label) + [1],
                                                 "anomaly_type": list(kinds) + ["burst"]}))
    got = evaluate_against_labels(scored, labels)
    assert got["rows_evaluated"] == n and got["positives"] == label.sum() and got["flagged"] == flag.sum()
    assert got["roc_auc"] == pytest.approx(roc_auc_score(label, score), abs=1e-12)  # 4-decimal scores: exact
    assert got["roc_auc_max_error"] < 0.02
    assert got["precision_at_flagged_rate"] == pytest.approx((label & flag).sum() / flag.sum())
    assert got["recall_at_flagged_rate"] == pytest.approx((label & flag).sum() / label.sum())
    burst = kinds == "burst"
    assert got["recall_by_type"]["burst"] == pytest.approx((flag & burst).sum() / burst.sum())


def test_evaluate_requires_columns(spark):
    scored = spark.createDataFrame([("T1", 0.5, False)], "transaction_id string, anomaly_score double, is_anomaly boolean")
    with pytest.raises(SchemaError, match="labels.*is_anomaly"):
        evaluate_against_labels(scored, spark.createDataFrame([("T1",)], "transaction_id string"))


def _synthetic_transactions(seed: int = 11):
    """Normal customers (daily habits, log-normal amounts, everyday merchants) plus planted
    anomalies: extreme amounts, risky merchants with high amounts, odd-hour spends and bursts."""
    rng = np.random.default_rng(seed)
    rows = []
    start = dt.datetime(2026, 11, 1)
    for cust in range(150):
        base = rng.normal(3.5, 0.4)
        for _ in range(rng.integers(10, 40)):
            ts = start + dt.timedelta(days=int(rng.integers(0, 7)), hours=int(rng.integers(8, 22)),
                                      seconds=int(rng.integers(0, 3600)))
            rows.append((f"C{cust}", ts, float(np.exp(rng.normal(base, 0.5))), 0.1 + 0.4 * (rng.random() < 0.2), 0, None))
    for i in range(40):
        cust = f"C{rng.integers(0, 150)}"
        ts = start + dt.timedelta(days=int(rng.integers(0, 7)), hours=int(rng.integers(8, 22)))
        kind = ("extreme_amount", "risky_mcc", "odd_hour", "burst")[i % 4]
        if kind == "burst":
            for j in range(8):
                rows.append((cust, ts + dt.timedelta(seconds=20 * j), float(rng.uniform(50, 250)), 0.5, 1, kind))
            continue
        if kind == "odd_hour":
            ts = ts.replace(hour=3)
        amount = {"extreme_amount": 50_000.0, "risky_mcc": 1500.0, "odd_hour": 900.0}[kind] * rng.uniform(0.8, 1.2)
        rows.append((cust, ts, float(amount), 0.9 if kind == "risky_mcc" else 0.1, 1, kind))
    pdf = pd.DataFrame(rows, columns=["customer_id", "transaction_ts", "amount", "merchant_risk", "label", "kind"])
    pdf.insert(0, "transaction_id", [f"T{i:06d}" for i in range(len(pdf))])
    return pdf


# ROC-AUC floor for planted anomalies. A random ranking scores 0.5. Every planted type is
# extreme in at least one feature (amount, merchant_risk, time_delta/velocity), so an
# Isolation Forest that uses the features ranks most of them above normal rows; the data
# and the forest are seeded, so the value is deterministic (about 0.97 here) and the floor
# leaves room for library changes while failing if the features or scoring break.
SYNTHETIC_AUC_FLOOR = 0.90


def test_roc_auc_on_planted_anomalies_synthetic(spark):
    pdf = _synthetic_transactions()
    df = spark.createDataFrame(pdf.drop(columns=["label", "kind"]))
    labels = spark.createDataFrame(pdf[["transaction_id", "label", "kind"]]
                                   .rename(columns={"label": "is_anomaly", "kind": "anomaly_type"}))
    config = parse_anomaly_config({"features": ["amount", "merchant_risk", "time_delta", "velocity"],
                                   "n_estimators": 50}, 0.02)
    features_df = with_customer_features(df, config).cache()
    model = fit_anomaly_model(features_df, config)
    result = evaluate_against_labels(score_anomalies(features_df, model), labels)
    assert result["rows_evaluated"] == len(pdf) and result["positives"] == pdf["label"].sum()
    assert result["roc_auc"] >= SYNTHETIC_AUC_FLOOR, result
    assert result["recall_by_type"]["extreme_amount"] == 1.0


# On the lead's generator with the pipeline's own binning and merchant encoding and the default
# features, the seeded run scores ROC-AUC ~0.93. Single-feature rankings on the same rows:
# amount_bin 0.96, merchant_risk 0.61, velocity 0.58, time_delta 0.56 (measured, docs/ANOMALY.md).
# A floor of 0.85 is far above chance and above every non-amount feature alone, so it fails if
# the model stops using the amount signal or the features break, with margin for upstream changes.
GENERATOR_AUC_FLOOR = 0.85


def test_roc_auc_against_generator_labels(spark):
    generator = pytest.importorskip("secure_transform.generator")
    binning = pytest.importorskip("secure_transform.binning")
    merchant = pytest.importorskip("secure_transform.merchant")
    data, labels = generator.generate_transactions(spark, generator.GeneratorConfig(rows=20_000, seed=7,
                                                                                    bad_row_rate=0.0))
    # only the columns the features need: Spark then skips generating the PII columns
    data = data.select("transaction_id", "customer_id", "merchant_category_code", "amount", "currency",
                       "transaction_ts").cache()
    bins = binning.parse_binning_config({"method": "percentile", "bins": [0, 10, 25, 50, 75, 90, 95, 99, 100],
                                         "labels": ["micro", "small", "low", "medium", "high", "large",
                                                    "very_large", "extreme"]})
    df = binning.with_amount_bin(data, binning.fit_bins(data, bins))
    df = merchant.with_merchant_category(df, merchant.load_merchant_mapping(None))
    config = parse_anomaly_config({"n_estimators": 30}, 0.01)
    assert config.features == DEFAULT_FEATURES
    features_df = with_customer_features(df, config).cache()
    model = fit_anomaly_model(features_df, config)
    result = evaluate_against_labels(score_anomalies(features_df, model), labels)
    assert result["rows_evaluated"] == 20_000 and result["positives"] > 100
    assert result["roc_auc"] >= GENERATOR_AUC_FLOOR, result
    assert result["precision_at_flagged_rate"] > 0.05  # 5x the 1% base rate at least


# ------------------------------------------------------------------------------------------ CLI


def _cli(argv):
    from secure_transform.cli import anomaly as cli_anomaly

    parser = argparse.ArgumentParser(prog="secure-transform")
    cli_anomaly.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_fit_and_score_csv_with_derived_features(tmp_path, capsys):
    pdf = _synthetic_transactions().drop(columns=["label", "kind"])
    pdf["transaction_ts"] = pdf["transaction_ts"].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    pdf.to_csv(tmp_path / "history.csv", index=False)
    model_dir, out_dir = tmp_path / "model", tmp_path / "scored"
    assert _cli(["anomaly", "fit", "--input", str(tmp_path / "history.csv"), "--features", "amount,velocity,time_delta",
                 "--model", str(model_dir), "--contamination", "0.05", "--n-estimators", "20"]) == 0
    fitted = json.loads(capsys.readouterr().out)
    assert fitted["features"] == ["amount", "velocity", "time_delta"] and fitted["training_rows"] == len(pdf)
    assert abs(fitted["training_flagged_share"] - 0.05) <= 1 / (2 * len(pdf))
    assert _cli(["anomaly", "score", "--input", str(tmp_path / "history.csv"), "--model", str(model_dir),
                 "--output", str(out_dir), "--output-format", "csv"]) == 0
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["rows"] == len(pdf) and summary["anomalies_flagged"] > 0
    assert summary["model_id"] == fitted["model_id"] and "anomaly score  done in" in captured.err
    written = pd.concat(pd.read_csv(p) for p in out_dir.glob("*.csv"))
    # the raw customer id is not copied into the scores; the summary says what the output carries
    assert summary["columns_left_out"] == ["customer_id"]
    assert summary["columns"][:4] == ["transaction_id", "transaction_ts", "amount", "merchant_risk"]
    assert set(summary["columns"][4:]) == {"velocity", "velocity_1h", "velocity_24h", "time_delta", "anomaly_score",
                                           "is_anomaly", "anomaly_reasons"}
    assert list(written.columns) == summary["columns"] and len(written) == len(pdf)
    assert written.loc[written["is_anomaly"], "anomaly_reasons"].notna().all()


def test_cli_score_keeps_or_drops_columns_on_request(tmp_path, capsys, data_pdf):
    pdf = data_pdf.assign(card_number=[4111111111111111 + i for i in range(N)], email=["x"] * N)
    pdf.to_parquet(tmp_path / "in.parquet")
    # a card number read as a number is neither offered nor accepted as a feature
    with pytest.raises(ConfigError, match=r"--features: feature 'card_number' identifies a person or record.*"
                                          r"valid features: a, b, c$"):
        _cli(["anomaly", "fit", "--input", str(tmp_path / "in.parquet"), "--features", "a,card_number",
              "--model", str(tmp_path / "m")])
    assert _cli(["anomaly", "fit", "--input", str(tmp_path / "in.parquet"), "--features", "a,b,c",
                 "--model", str(tmp_path / "m"), "--n-estimators", "10"]) == 0
    capsys.readouterr()
    base = ["anomaly", "score", "--input", str(tmp_path / "in.parquet"), "--model", str(tmp_path / "m")]
    assert _cli(base + ["--output", str(tmp_path / "o1"), "--keep-columns", "email", "--drop-columns", "c"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["columns_left_out"] == ["c", "note", "card_number"]  # free-text notes may hold personal data
    assert list(pd.read_parquet(tmp_path / "o1").columns) == summary["columns"] == [
        "id", "a", "b", "email", "anomaly_score", "is_anomaly", "anomaly_reasons"]
    assert _cli(base + ["--output", str(tmp_path / "o2"), "--keep-columns", "all"]) == 0
    assert json.loads(capsys.readouterr().out)["columns_left_out"] == []
    with pytest.raises(ConfigError, match="--keep-columns: 'nope' is not a column of the input"):
        _cli(base + ["--output", str(tmp_path / "o3"), "--keep-columns", "nope"])
    with pytest.raises(ConfigError, match="--id-column: 'card_number' is left out of the output"):
        _cli(base + ["--output", str(tmp_path / "o4"), "--labels", str(tmp_path / "in.parquet"),
                     "--id-column", "card_number"])


def test_cli_score_parquet_with_labels(tmp_path, capsys, data_pdf):
    pdf = data_pdf.assign(transaction_id=[f"T{i}" for i in range(N)])
    pdf.to_parquet(tmp_path / "in.parquet")
    pdf.assign(is_anomaly=(pdf["id"] < 2).astype(int))[["transaction_id", "is_anomaly"]].to_parquet(tmp_path / "labels.parquet")
    assert _cli(["anomaly", "fit", "--input", str(tmp_path / "in.parquet"), "--features", "a,b,c",
                 "--model", str(tmp_path / "m"), "--n-estimators", "20", "--max-samples", "1024"]) == 0
    capsys.readouterr()
    assert _cli(["anomaly", "score", "--input", str(tmp_path / "in.parquet"), "--model", str(tmp_path / "m"),
                 "--output", str(tmp_path / "out"), "--labels", str(tmp_path / "labels.parquet")]) == 0
    summary = json.loads(capsys.readouterr().out)
    evaluation = summary["evaluation"]
    assert (evaluation["rows_evaluated"], evaluation["positives"], evaluation["flagged"]) == (N, 2, 30)
    assert evaluation["true_positives"] == 2 and evaluation["recall_at_flagged_rate"] == 1.0
    out = pd.read_parquet(tmp_path / "out")
    kept = [c for c in pdf.columns if c != "note"]  # a free-text column is left out unless kept
    assert len(out) == N and list(out.columns)[:len(kept)] == kept and summary["columns_left_out"] == ["note"]


@pytest.mark.parametrize("extra,match", [
    (["--contamination", "0.7"], "--contamination: must be in \\(0, 0.5\\], got 0.7"),
    (["--n-estimators", "0"], "--n-estimators"),
    (["--max-samples", "x"], "--max-samples"),
    (["--sample-size", "1"], "--sample-size"),
    (["--velocity-windows", "1y"], "--velocity-windows"),
])
def test_cli_invalid_options_name_the_flag(tmp_path, extra, match):
    with pytest.raises(ConfigError, match=match):
        _cli(["anomaly", "fit", "--input", str(tmp_path), "--features", "a", "--model", str(tmp_path / "m"), *extra])


def test_cli_unknown_feature_lists_valid_names(tmp_path, data_pdf):
    data_pdf.to_parquet(tmp_path / "in.parquet")
    with pytest.raises(ConfigError, match="--features: feature 'zzz'.*valid features: a, b, c$"):
        _cli(["anomaly", "fit", "--input", str(tmp_path / "in.parquet"), "--features", "a,zzz",
              "--model", str(tmp_path / "m")])


def test_cli_refuses_existing_output_and_missing_input(tmp_path, model):
    (tmp_path / "out").mkdir()
    model.save(sio.parse_location(str(tmp_path / "m"), "--model"))
    with pytest.raises(ConfigError, match="--output.*already exists"):
        _cli(["anomaly", "score", "--input", str(tmp_path / "x.csv"), "--model", str(tmp_path / "m"),
              "--output", str(tmp_path / "out")])
    with pytest.raises(ConfigError, match="--input.*does not exist"):
        _cli(["anomaly", "score", "--input", str(tmp_path / "x.csv"), "--model", str(tmp_path / "m"),
              "--output", str(tmp_path / "new")])


@pytest.mark.parametrize("params", [{}, {"max_features": 0.5}, {"max_samples": 2}, {"max_samples": 1},
                                    {"discrete": True}, {"discrete": True, "max_features": 0.5}],
                         ids=["default", "feature-subsets", "two-samples", "one-sample", "discrete",
                              "discrete-feature-subsets"])
def test_path_length_scorer_equals_sklearn_bit_for_bit(params):
    from sklearn.ensemble import IsolationForest

    from secure_transform.anomaly import PathLengthScorer

    params = dict(params)
    discrete = params.pop("discrete", False)
    rng = np.random.default_rng(7)
    train = rng.normal(size=(2_000, 4))
    train[:, 3] = np.round(train[:, 3])  # ties on the split values
    x = np.vstack([rng.normal(size=(3_000, 4)) * 3, train[:50]])
    if discrete:  # bins, levels and counts: many rows share every interval (the deduplicated path)
        train, x = np.round(train * 2) / 2, np.round(x)
        x[:40] = 0.5  # exactly on the split value planted below (goes left: value <= split)
        x[40:80] = np.nextafter(np.float32(0.5), np.float32(1))  # the next float32 (goes right)
    est = IsolationForest(n_estimators=25, random_state=3, **params).fit(train[:1] if params.get("max_samples") == 1
                                                                         else train)
    if discrete:
        for tree in (e.tree_ for e in est.estimators_):
            tree.threshold[0] = 0.5  # a split value a float32 input can equal exactly
        assert PathLengthScorer.of(est).radix, "discrete inputs are deduplicated"
    scores = PathLengthScorer.of(est).score(x)
    np.testing.assert_array_equal(scores, -est.score_samples(x))
    if discrete:
        assert len(np.unique(scores)) < 0.7 * len(x)  # so the shortcut was taken
    assert ((scores > 0) & (scores <= 1)).all()
