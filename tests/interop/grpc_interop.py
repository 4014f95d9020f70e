#!/usr/bin/env python3
"""Interop suite: drives the hub with an independent gRPC client (Debian's python3-grpcio).

Message classes come from Debian's protoc (--python_out) run over protos/ by the calling test; the
reflection checks use a fresh descriptor pool filled only from the server's reflection answers.
Prints one line per check and exits 1 when any check fails.
"""
import argparse
import importlib.util
import json
import os
import sys
import threading
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, expect_error, failures  # noqa: E402
from google.protobuf import descriptor_pool

parser = argparse.ArgumentParser()
parser.add_argument("--target", required=True)
parser.add_argument("--pydir", required=True, help="folder of the generated *_pb2 modules")
parser.add_argument("--uscc", required=True, help="an enterprise the hub has a profile of")
parser.add_argument("--expect-not-serving", action="store_true", help="only check that health says NOT_SERVING")
args = parser.parse_args()

sys.path.insert(0, args.pydir)
from datahub.v1 import admin_service_pb2 as admin  # noqa: E402
from datahub.v1 import ingest_service_pb2 as ingest  # noqa: E402
from datahub.v1 import profile_pb2  # noqa: E402
from datahub.v1 import profile_service_pb2 as profiles  # noqa: E402
from datahub.v1 import records_pb2 as records  # noqa: E402


def load(name, relative):
    # The generated grpc/health and grpc/reflection packages would clash with grpcio's own "grpc" package.
    spec = importlib.util.spec_from_file_location(name, os.path.join(args.pydir, relative))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


health = load("health_pb2", "grpc/health/v1/health_pb2.py")
reflection_v1 = load("reflection_v1_pb2", "grpc/reflection/v1/reflection_pb2.py")
reflection_v1alpha = load("reflection_v1alpha_pb2", "grpc/reflection/v1alpha/reflection_pb2.py")

KEYS = {name: os.environ["DATAHUB_KEY_" + name.upper()] for name in ("reader", "regulator", "source", "admin", "limited", "licensing")}
channel = grpc.insecure_channel(args.target)

if args.expect_not_serving:
    check_health = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=health.HealthCheckRequest.SerializeToString,
                                       response_deserializer=health.HealthCheckResponse.FromString)
    status = check_health(health.HealthCheckRequest(), timeout=5).status
    print("health:", health.HealthCheckResponse.ServingStatus.Name(status), flush=True)
    sys.exit(0 if status == health.HealthCheckResponse.NOT_SERVING else 1)


def meta(agency, purpose="interop test / 互操作测试"):
    m = [("x-purpose-bin", purpose.encode("utf-8"))]
    if agency:
        m.append(("authorization", "Bearer " + KEYS[agency]))
    m.append(("x-purpose", "interop-test"))
    return m


def unary(path, req_cls, resp_cls):
    return channel.unary_unary(path, request_serializer=req_cls.SerializeToString, response_deserializer=resp_cls.FromString)


get_profile = unary("/datahub.v1.ProfileService/GetProfile", profiles.GetProfileRequest, profile_pb2.EnterpriseProfile)
submit = unary("/datahub.v1.IngestService/Submit", ingest.SubmitRequest, ingest.SubmitResponse)


def licence_line(source_id, uscc=args.uscc, source="e-licence"):
    return json.dumps({
        "uscc": uscc, "source": source, "source_id": source_id, "occurred_at": "2026-05-01T09:00:00+08:00",
        "enterprise_name": "互操作测试", "synthetic": True,
        "licence": {"licence_no": source_id, "licence_type": "食品经营许可证", "issued_on": "2026-05-01",
                    "valid_until": "2031-04-30", "status": "LICENCE_STATUS_VALID"},
    }, ensure_ascii=False).encode("utf-8")


def raw(payload, source="e-licence"):
    return records.RawRecord(source=source, format="canonical-jsonl", payload=payload, origin="interop")


@check("health: Check of the server is SERVING, of an unknown service NOT_FOUND")
def _():
    c = unary("/grpc.health.v1.Health/Check", health.HealthCheckRequest, health.HealthCheckResponse)
    assert c(health.HealthCheckRequest(), timeout=5).status == health.HealthCheckResponse.SERVING
    assert c(health.HealthCheckRequest(service="datahub.v1.ProfileService"), timeout=5).status == health.HealthCheckResponse.SERVING
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: c(health.HealthCheckRequest(service="no.Such"), timeout=5))


@check("health: Watch sends the current status, then the deadline ends it")
def _():
    w = channel.unary_stream("/grpc.health.v1.Health/Watch", request_serializer=health.HealthCheckRequest.SerializeToString,
                             response_deserializer=health.HealthCheckResponse.FromString)
    call = w(health.HealthCheckRequest(), timeout=1.0)
    assert next(call).status == health.HealthCheckResponse.SERVING
    expect_error(grpc.StatusCode.DEADLINE_EXCEEDED, lambda: next(call))


def reflect(module, path, requests):
    stream = channel.stream_stream(path, request_serializer=module.ServerReflectionRequest.SerializeToString,
                                   response_deserializer=module.ServerReflectionResponse.FromString)
    return list(stream(iter(requests), timeout=10))


for version, module in (("v1", reflection_v1), ("v1alpha", reflection_v1alpha)):
    @check(f"reflection {version}: lists every service (bidirectional stream)")
    def _(module=module, version=version):
        answers = reflect(module, f"/grpc.reflection.{version}.ServerReflection/ServerReflectionInfo", [module.ServerReflectionRequest(list_services="")])
        names = {s.name for s in answers[0].list_services_response.service}
        for expected in ("datahub.v1.IngestService", "datahub.v1.ProfileService", "datahub.v1.AdminService", "grpc.health.v1.Health",
                         "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"):
            assert expected in names, f"{expected} missing from {sorted(names)}"


@check("reflection: describes ProfileService and calls GetProfile with descriptors from the server only")
def _():
    answers = reflect(reflection_v1, "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                      [reflection_v1.ServerReflectionRequest(file_containing_symbol="datahub.v1.ProfileService")])
    from google.protobuf import descriptor_pb2
    files = [descriptor_pb2.FileDescriptorProto.FromString(b) for b in answers[0].file_descriptor_response.file_descriptor_proto]
    pool = descriptor_pool.DescriptorPool()
    pending = list(files)
    while pending:  # dependencies first, whatever order they came in
        progressed = False
        for f in list(pending):
            if all(d in [x.name for x in files if x not in pending] or d.startswith("google/protobuf/") for d in f.dependency):
                if any(d.startswith("google/protobuf/") for d in f.dependency):
                    from google.protobuf import timestamp_pb2
                    try:
                        pool.FindFileByName("google/protobuf/timestamp.proto")
                    except KeyError:
                        pool.Add(descriptor_pb2.FileDescriptorProto.FromString(timestamp_pb2.DESCRIPTOR.serialized_pb))
                pool.Add(f)
                pending.remove(f)
                progressed = True
        assert progressed, f"unresolvable dependencies: {[f.name for f in pending]}"
    service = pool.FindServiceByName("datahub.v1.ProfileService")
    method = service.FindMethodByName("GetProfile")
    assert method.input_type.full_name == "datahub.v1.GetProfileRequest"
    assert method.output_type.full_name == "datahub.v1.EnterpriseProfile"
    assert service.FindMethodByName("WatchProfiles") is not None
    try:
        from google.protobuf import message_factory
        make = message_factory.GetMessageClass
    except AttributeError:
        from google.protobuf import message_factory
        factory = message_factory.MessageFactory(pool)
        make = factory.GetPrototype
    request_cls, response_cls = make(method.input_type), make(method.output_type)
    call = channel.unary_unary("/datahub.v1.ProfileService/GetProfile", request_serializer=request_cls.SerializeToString,
                               response_deserializer=response_cls.FromString)
    profile = call(request_cls(uscc=args.uscc), metadata=meta("reader"), timeout=10)
    assert profile.uscc == args.uscc and profile.name, profile


@check("unary: GetProfile returns the profile, USCC accepted in lower case with spaces and full-width digits")
def _():
    messy = " " + args.uscc[:4].translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"}) + " " + args.uscc[4:].lower() + " "
    p = get_profile(profiles.GetProfileRequest(uscc=messy), metadata=meta("regulator"), timeout=10)
    assert p.uscc == args.uscc and p.name and p.record_count > 0


@check("scopes: a reader without profile:complaints gets no work-order details, and asking for them is PERMISSION_DENIED")
def _():
    p = get_profile(profiles.GetProfileRequest(uscc=args.uscc), metadata=meta("reader"), timeout=10)
    assert len(p.complaints.entries) == 0 and len(p.penalties) == 0
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: get_profile(
        profiles.GetProfileRequest(uscc=args.uscc, sections=[profiles.PROFILE_SECTION_COMPLAINTS]), metadata=meta("reader"), timeout=10),
        contains="profile:complaints")


@check("gzip both ways: a gzip-compressed request gets the same profile")
def _():
    plain = get_profile(profiles.GetProfileRequest(uscc=args.uscc), metadata=meta("regulator"), timeout=10)
    zipped = get_profile(profiles.GetProfileRequest(uscc=args.uscc), metadata=meta("regulator"), timeout=10, compression=grpc.Compression.Gzip)
    assert plain == zipped


@check("errors: a malformed USCC is INVALID_ARGUMENT naming the position, in Chinese too")
def _():
    bad = args.uscc[:17] + ("0" if args.uscc[17] != "0" else "1")
    e = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: get_profile(profiles.GetProfileRequest(uscc=bad), metadata=meta("reader"), timeout=10))
    assert "Position 18" in e.details() and "第18位校验码" in e.details(), e.details()


@check("errors: hostile input is refused plainly: a NUL in the USCC, a page_size that would overflow")
def _():
    e = expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: get_profile(profiles.GetProfileRequest(uscc="91\x00" + "9" * 2000), metadata=meta("reader"), timeout=10))
    assert "\\u0000" in e.details() and len(e.details()) < 1200, e.details()[:200]
    search = unary("/datahub.v1.ProfileService/SearchProfiles", profiles.SearchProfilesRequest, profiles.SearchProfilesResponse)
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: search(profiles.SearchProfilesRequest(query="有限", page_size=4294967295), metadata=meta("reader"), timeout=10))


@check("scopes: search and credit check need profile:basic")
def _():
    search = unary("/datahub.v1.ProfileService/SearchProfiles", profiles.SearchProfilesRequest, profiles.SearchProfilesResponse)
    credit = unary("/datahub.v1.ProfileService/CheckCredit", profiles.CheckCreditRequest, profiles.CheckCreditResponse)
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: search(profiles.SearchProfilesRequest(query="有限"), metadata=meta("licensing"), timeout=10), contains="profile:basic")
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: credit(profiles.CheckCreditRequest(uscc=args.uscc), metadata=meta("licensing"), timeout=10), contains="profile:basic")
    assert get_profile(profiles.GetProfileRequest(uscc=args.uscc), metadata=meta("licensing"), timeout=10).identity.name == ""


@check("errors: a well-formed unknown USCC is NOT_FOUND")
def _():
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: get_profile(profiles.GetProfileRequest(uscc="91330100799655058B"), metadata=meta("reader"), timeout=10))


@check("security: no key or an unknown key is UNAUTHENTICATED")
def _():
    expect_error(grpc.StatusCode.UNAUTHENTICATED, lambda: get_profile(profiles.GetProfileRequest(uscc=args.uscc), metadata=meta(None), timeout=10))
    expect_error(grpc.StatusCode.UNAUTHENTICATED, lambda: get_profile(profiles.GetProfileRequest(uscc=args.uscc),
                                                                      metadata=[("authorization", "Bearer not-a-key")], timeout=10))


@check("security: calls on one connection are each answered as the agency of their own key (the hub remembers a connection's last key)")
def _():
    # This channel is one HTTP/2 connection: keys switch between calls, and a bad key comes between good ones.
    # The licensing agency lacks profile:basic, so its answer has no identity; the regulator's has.
    def name(metadata):
        return get_profile(profiles.GetProfileRequest(uscc=args.uscc), metadata=metadata, timeout=10).identity.name
    assert name(meta("regulator")) != ""
    assert name(meta("licensing")) == ""
    assert name(meta("regulator")) != ""
    expect_error(grpc.StatusCode.UNAUTHENTICATED, lambda: name([("authorization", "Bearer " + KEYS["regulator"] + "x")]))
    expect_error(grpc.StatusCode.UNAUTHENTICATED, lambda: name(meta(None)))
    assert name(meta("regulator")) != "" and name(meta("licensing")) == ""


@check("security: a role outside the method's roles is PERMISSION_DENIED")
def _():
    stats = unary("/datahub.v1.AdminService/GetStats", admin.GetStatsRequest, admin.GetStatsResponse)
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: stats(admin.GetStatsRequest(), metadata=meta("reader"), timeout=10), contains="admin")
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: submit(ingest.SubmitRequest(), metadata=meta("reader"), timeout=10))
    assert stats(admin.GetStatsRequest(), metadata=meta("admin"), timeout=30).profiles > 0


@check("admin: ListAdapters answers (none run here) and pausing an unknown adapter is NOT_FOUND with its name")
def _():
    list_adapters = unary("/datahub.v1.AdminService/ListAdapters", admin.ListAdaptersRequest, admin.ListAdaptersResponse)
    assert len(list_adapters(admin.ListAdaptersRequest(), metadata=meta("admin"), timeout=10).adapters) == 0
    pause = unary("/datahub.v1.AdminService/PauseAdapter", admin.AdapterRequest, admin.AdapterStatus)
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: pause(admin.AdapterRequest(id="e-licence/licences"), metadata=meta("admin"), timeout=10),
                 contains="e-licence/licences")
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: pause(admin.AdapterRequest(id="e-licence/licences"), metadata=meta("reader"), timeout=10))


@check("server streaming: WatchProfiles delivers the change a Submit makes; cancel ends the stream")
def _():
    watch = channel.unary_stream("/datahub.v1.ProfileService/WatchProfiles", request_serializer=profiles.WatchProfilesRequest.SerializeToString,
                                 response_deserializer=profiles.ProfileChange.FromString)
    call = watch(profiles.WatchProfilesRequest(usccs=[args.uscc]), metadata=meta("regulator"), timeout=30)
    call.initial_metadata()  # the server subscribes before it sends headers
    source_id = f"INTEROP-{time.time_ns()}"
    answer = submit(ingest.SubmitRequest(records=[raw(licence_line(source_id))]), metadata=meta("source"), timeout=30)
    assert answer.results[0].outcome == ingest.SUBMIT_OUTCOME_STORED, answer
    change = next(call)
    assert change.uscc == args.uscc and any(l.licence.licence_no == source_id for l in change.profile.licences), change
    call.cancel()
    expect_error(grpc.StatusCode.CANCELLED, lambda: next(call))


@check("deadline: a watch with nothing to say ends DEADLINE_EXCEEDED")
def _():
    watch = channel.unary_stream("/datahub.v1.ProfileService/WatchProfiles", request_serializer=profiles.WatchProfilesRequest.SerializeToString,
                                 response_deserializer=profiles.ProfileChange.FromString)
    call = watch(profiles.WatchProfilesRequest(usccs=["91330100799655058B"]), metadata=meta("reader"), timeout=0.5)
    expect_error(grpc.StatusCode.DEADLINE_EXCEEDED, lambda: next(call))


@check("client streaming: SubmitStream stores, quarantines and rejects per record and sums up at the end")
def _():
    stream = channel.stream_unary("/datahub.v1.IngestService/SubmitStream", request_serializer=records.RawRecord.SerializeToString,
                                  response_deserializer=ingest.SubmitResponse.FromString)
    stamp = time.time_ns()
    items = [raw(licence_line(f"STREAM-{stamp}-{i}")) for i in range(3)]
    items.append(raw(b"{not json"))
    items.append(raw(licence_line(f"STREAM-{stamp}-x", source="market-supervision"), source="market-supervision"))
    answer = stream(iter(items), metadata=meta("source"), timeout=60)
    assert (answer.received, answer.accepted, answer.quarantined, answer.rejected) == (5, 3, 1, 1), answer
    outcomes = {r.index: r for r in answer.results}
    assert outcomes[3].outcome == ingest.SUBMIT_OUTCOME_QUARANTINED and outcomes[3].reason_code == "MALFORMED_JSON", outcomes[3]
    assert outcomes[4].outcome == ingest.SUBMIT_OUTCOME_REJECTED and outcomes[4].reason_code == "SOURCE_NOT_IN_SCOPE", outcomes[4]


@check("limits: a message over 4 MiB is RESOURCE_EXHAUSTED")
def _():
    big = ingest.SubmitRequest(records=[raw(b"x" * (5 * 1024 * 1024))])
    expect_error(grpc.StatusCode.RESOURCE_EXHAUSTED, lambda: submit(big, metadata=meta("source"), timeout=30))


@check("search: pages through results with next_page_token; CheckCredit answers with findings")
def _():
    search = unary("/datahub.v1.ProfileService/SearchProfiles", profiles.SearchProfilesRequest, profiles.SearchProfilesResponse)
    first = search(profiles.SearchProfilesRequest(query="有限公司", page_size=2), metadata=meta("reader"), timeout=10)
    assert len(first.results) == 2 and first.total > 2 and first.next_page_token, first
    second = search(profiles.SearchProfilesRequest(query="有限公司", page_size=2, page_token=first.next_page_token), metadata=meta("reader"), timeout=10)
    assert {r.uscc for r in first.results}.isdisjoint({r.uscc for r in second.results})
    by_code = search(profiles.SearchProfilesRequest(query=args.uscc[:10].lower()), metadata=meta("reader"), timeout=10)
    assert any(r.uscc == args.uscc for r in by_code.results)
    credit = unary("/datahub.v1.ProfileService/CheckCredit", profiles.CheckCreditRequest, profiles.CheckCreditResponse)
    answer = credit(profiles.CheckCreditRequest(uscc=args.uscc), metadata=meta("reader"), timeout=10)
    assert answer.uscc == args.uscc and answer.commitment_allowed == (not any(f.blocks_commitment for f in answer.findings))


@check("rate limit: an agency over its requests per second gets RESOURCE_EXHAUSTED")
def _():
    credit = unary("/datahub.v1.ProfileService/CheckCredit", profiles.CheckCreditRequest, profiles.CheckCreditResponse)
    codes = []
    for _ in range(8):
        try:
            credit(profiles.CheckCreditRequest(uscc=args.uscc), metadata=meta("limited"), timeout=10)
            codes.append(grpc.StatusCode.OK)
        except grpc.RpcError as e:
            codes.append(e.code())
            if e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
                assert "rate limit" in e.details(), e.details()
    assert codes[0] == grpc.StatusCode.OK and grpc.StatusCode.RESOURCE_EXHAUSTED in codes, codes


@check("unimplemented: an unknown method is UNIMPLEMENTED")
def _():
    nope = unary("/datahub.v1.ProfileService/Nope", profiles.GetProfileRequest, profile_pb2.EnterpriseProfile)
    expect_error(grpc.StatusCode.UNIMPLEMENTED, lambda: nope(profiles.GetProfileRequest(), timeout=10))


print(f"{len(failures)} failed" if failures else "all interop checks passed", flush=True)
sys.exit(1 if failures else 0)
