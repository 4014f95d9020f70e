#!/usr/bin/env python3
"""Data pulls end to end over gRPC with an independent client (Debian's python3-grpcio).

Agencies (keys in DATAHUB_KEY_<ID> with '-' as '_'): city-approval (requester), city-housing (owner of
MAT-FIRE-ACCEPT), city-coordination (coordination office), city-tax (unrelated), admin. Prints one line
per check and exits 1 when any check fails.
"""
import argparse
import hashlib
import os
import sys
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, expect_error, failures, watch_into  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--target", required=True)
parser.add_argument("--pydir", required=True, help="folder of the generated *_pb2 modules")
parser.add_argument("--licensed", required=True, help="an enterprise holding a valid JY licence in the e-licence library")
parser.add_argument("--other", required=True, help="another enterprise")
args = parser.parse_args()

sys.path.insert(0, args.pydir)
from datahub.v1 import admin_service_pb2 as admin  # noqa: E402
from datahub.v1 import pull_service_pb2 as pulls  # noqa: E402

AGENCIES = ("city-approval", "city-housing", "city-coordination", "city-tax", "admin")
KEYS = {a: os.environ["DATAHUB_KEY_" + a.upper().replace("-", "_")] for a in AGENCIES}
channel = grpc.insecure_channel(args.target)


def meta(agency, purpose="数据调取互操作测试"):
    return [("authorization", "Bearer " + KEYS[agency]), ("x-purpose-bin", purpose.encode("utf-8"))]


def unary(method, req_cls, resp_cls, service="datahub.v1.DataPullService"):
    return channel.unary_unary(f"/{service}/{method}", request_serializer=req_cls.SerializeToString, response_deserializer=resp_cls.FromString)


request_pull = unary("RequestPull", pulls.RequestPullRequest, pulls.DataPull)
get_pull = unary("GetPull", pulls.GetPullRequest, pulls.GetPullResponse)
list_pulls = unary("ListPulls", pulls.ListPullsRequest, pulls.ListPullsResponse)
respond = unary("RespondPull", pulls.RespondPullRequest, pulls.DataPull)
escalate = unary("Escalate", pulls.EscalatePullRequest, pulls.DataPull)
rule = unary("Rule", pulls.RulePullRequest, pulls.DataPull)
cancel = unary("Cancel", pulls.CancelPullRequest, pulls.DataPull)
rate = unary("Rate", pulls.RatePullRequest, pulls.DataPull)
watch = channel.unary_stream("/datahub.v1.DataPullService/WatchPulls", request_serializer=pulls.WatchPullsRequest.SerializeToString,
                             response_deserializer=pulls.PullEvent.FromString)
get_catalogue = unary("GetPullCatalogue", admin.GetPullCatalogueRequest, admin.PullCatalogueRevision, "datahub.v1.AdminService")
update_catalogue = unary("UpdatePullCatalogue", admin.UpdatePullCatalogueRequest, admin.PullCatalogueRevision, "datahub.v1.AdminService")


state = {}
watch_call = watch(pulls.WatchPullsRequest(), metadata=meta("city-approval"), timeout=60)
watched = watch_into(watch_call)


@check("a licence the e-licence library holds is answered at once, with its source record and a SHA-256 the client can recompute")
def _():
    p = request_pull(pulls.RequestPullRequest(uscc=args.licensed.lower(), item_type="LIC-JY", purpose="食品经营许可审批核验", case_reference="BJ-0001"),
                     metadata=meta("city-approval"), timeout=10)
    assert p.state == pulls.PULL_STATE_FULFILLED, pulls.PullState.Name(p.state)
    assert p.fulfilment == pulls.PULL_FULFILMENT_LIBRARY
    assert p.uscc == args.licensed, "the USCC is normalized"
    assert p.evidence.licence.licence_type_code == "JY"
    assert p.evidence.source_record.source == "e-licence" and p.evidence.source_record.source_id
    assert p.evidence.sha256 == hashlib.sha256(p.evidence.licence.SerializeToString()).hexdigest(), "evidence hash"
    assert p.id.startswith("DP-")


@check("a material the library lacks becomes a directed demand to its owner with a working-day due date")
def _():
    p = request_pull(pulls.RequestPullRequest(uscc=args.other, item_type="MAT-FIRE-ACCEPT", purpose="施工许可联审", case_reference="BJ-0002"),
                     metadata=meta("city-approval"), timeout=10)
    assert p.state == pulls.PULL_STATE_AWAITING_OWNER, pulls.PullState.Name(p.state)
    assert p.owner == "city-housing" and len(p.due_on) == 10 and p.time_limit_working_days == 5
    state["demand"] = p.id


@check("the owner sees the demand under ASSIGNED_TO_ME, the requester under MINE; another agency gets NOT_FOUND")
def _():
    mine = list_pulls(pulls.ListPullsRequest(view=pulls.PULL_VIEW_MINE), metadata=meta("city-approval"), timeout=10)
    assert state["demand"] in [p.id for p in mine.pulls]
    assigned = list_pulls(pulls.ListPullsRequest(view=pulls.PULL_VIEW_ASSIGNED_TO_ME), metadata=meta("city-housing"), timeout=10)
    assert [p.id for p in assigned.pulls] == [state["demand"]], [p.id for p in assigned.pulls]
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: get_pull(pulls.GetPullRequest(id=state["demand"]), metadata=meta("city-tax"), timeout=10))
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: list_pulls(pulls.ListPullsRequest(view=pulls.PULL_VIEW_ESCALATED), metadata=meta("city-approval"), timeout=10))


@check("only the owner answers; a refusal needs a reason and a legal basis")
def _():
    refusal = pulls.RespondPullRequest.Refusal
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: respond(pulls.RespondPullRequest(id=state["demand"], refuse=refusal(reason="x", legal_basis="y")),
                                                                   metadata=meta("city-approval"), timeout=10), "city-housing")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: respond(pulls.RespondPullRequest(id=state["demand"], refuse=refusal(reason="涉及商业秘密")),
                                                                  metadata=meta("city-housing"), timeout=10), "legal_basis")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: respond(pulls.RespondPullRequest(id=state["demand"]), metadata=meta("city-housing"), timeout=10))
    p = respond(pulls.RespondPullRequest(id=state["demand"], refuse=refusal(reason="涉及商业秘密", legal_basis="《政府信息公开条例》第十五条")),
                metadata=meta("city-housing"), timeout=10)
    assert p.state == pulls.PULL_STATE_REFUSED and p.refusal_legal_basis == "《政府信息公开条例》第十五条"


@check("a call that does not fit the state is FAILED_PRECONDITION naming the state")
def _():
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: rate(pulls.RatePullRequest(id=state["demand"], rating=pulls.PULL_RATING_GOOD),
                                                                 metadata=meta("city-approval"), timeout=10), "REFUSED")
    fulfil = pulls.RespondPullRequest.Fulfilment(content=b"%PDF", media_type="application/pdf")
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: respond(pulls.RespondPullRequest(id=state["demand"], fulfil=fulfil),
                                                                    metadata=meta("city-housing"), timeout=10), "REFUSED")


@check("the requester escalates; only the coordination office rules, and directs fulfilment by a new due date")
def _():
    p = escalate(pulls.EscalatePullRequest(id=state["demand"], reason="审批必需，且可脱敏提供"), metadata=meta("city-approval"), timeout=10)
    assert p.state == pulls.PULL_STATE_IN_COORDINATION and p.escalated
    decision = pulls.RulePullRequest.DECISION_DIRECT_FULFILMENT
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: rule(pulls.RulePullRequest(id=state["demand"], decision=decision, opinion="x"),
                                                               metadata=meta("city-approval"), timeout=10))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: rule(pulls.RulePullRequest(id=state["demand"], decision=decision),
                                                              metadata=meta("city-coordination"), timeout=10), "opinion")
    p = rule(pulls.RulePullRequest(id=state["demand"], decision=decision, opinion="应脱敏后共享", time_limit_working_days=2),
             metadata=meta("city-coordination"), timeout=10)
    assert p.state == pulls.PULL_STATE_AWAITING_OWNER and p.ruling_opinion == "应脱敏后共享" and p.time_limit_working_days == 2


@check("the owner fulfils; the requester gets the bytes and their SHA-256")
def _():
    content = "%PDF-1.4 消防验收意见书（合成测试材料）".encode("utf-8")
    fulfil = pulls.RespondPullRequest.Fulfilment(content=content, media_type="application/pdf", file_name="消防验收意见书.pdf")
    p = respond(pulls.RespondPullRequest(id=state["demand"], fulfil=fulfil), metadata=meta("city-housing"), timeout=10)
    assert p.state == pulls.PULL_STATE_FULFILLED and p.fulfilment == pulls.PULL_FULFILMENT_OWNER
    got = get_pull(pulls.GetPullRequest(id=state["demand"]), metadata=meta("city-approval"), timeout=10)
    assert got.pull.evidence.content == content
    assert got.pull.evidence.sha256 == hashlib.sha256(content).hexdigest()
    types = [pulls.PullEventType.Name(e.type) for e in got.history]
    assert types == ["PULL_EVENT_TYPE_DEMANDED", "PULL_EVENT_TYPE_REFUSED", "PULL_EVENT_TYPE_ESCALATED", "PULL_EVENT_TYPE_RULED_FULFIL",
                     "PULL_EVENT_TYPE_FULFILLED"], types
    assert [e.seq for e in got.history] == [1, 2, 3, 4, 5]
    state["content"] = content


@check("the fulfilled material joined the library: the next request is answered at once")
def _():
    p = request_pull(pulls.RequestPullRequest(uscc=args.other, item_type="MAT-FIRE-ACCEPT", purpose="竣工验收备案"), metadata=meta("city-approval"), timeout=10)
    assert p.state == pulls.PULL_STATE_FULFILLED and p.fulfilment == pulls.PULL_FULFILMENT_LIBRARY
    assert p.evidence.supplied_by_pull == state["demand"]
    assert p.evidence.sha256 == hashlib.sha256(state["content"]).hexdigest()


@check("a pull is rated once")
def _():
    p = rate(pulls.RatePullRequest(id=state["demand"], rating=pulls.PULL_RATING_GOOD, comment="办理及时"), metadata=meta("city-approval"), timeout=10)
    assert p.rating == pulls.PULL_RATING_GOOD
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: rate(pulls.RatePullRequest(id=state["demand"], rating=pulls.PULL_RATING_POOR, comment="x"),
                                                                 metadata=meta("city-approval"), timeout=10), "already rated")


@check("the catalogue decides who may request what; unknown items and bad USCCs are INVALID_ARGUMENT")
def _():
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: request_pull(pulls.RequestPullRequest(uscc=args.other, item_type="MAT-HEALTH-CERT", purpose="x"),
                                                                       metadata=meta("city-coordination"), timeout=10), "MAT-HEALTH-CERT")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: request_pull(pulls.RequestPullRequest(uscc=args.other, item_type="NO-SUCH", purpose="x"),
                                                                      metadata=meta("city-approval"), timeout=10), "not in the catalogue")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: request_pull(pulls.RequestPullRequest(uscc="91330100799655058C", item_type="LIC-JY", purpose="x"),
                                                                      metadata=meta("city-approval"), timeout=10), "USCC")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: request_pull(pulls.RequestPullRequest(uscc=args.other, item_type="LIC-JY"),
                                                                      metadata=meta("city-approval"), timeout=10), "purpose")


@check("the requester cancels an open demand; cancelling again is FAILED_PRECONDITION")
def _():
    p = request_pull(pulls.RequestPullRequest(uscc=args.other, item_type="DATA-TAX-CLEARANCE", purpose="招投标资格审查"), metadata=meta("city-approval"), timeout=10)
    assert p.state == pulls.PULL_STATE_AWAITING_OWNER and p.owner == "city-tax"
    c = cancel(pulls.CancelPullRequest(id=p.id, reason="项目终止"), metadata=meta("city-approval"), timeout=10)
    assert c.state == pulls.PULL_STATE_CANCELLED
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: cancel(pulls.CancelPullRequest(id=p.id), metadata=meta("city-approval"), timeout=10), "CANCELLED")


@check("the catalogue is read and replaced through the admin API, with revisions")
def _():
    current = get_catalogue(admin.GetPullCatalogueRequest(), metadata=meta("admin"), timeout=10)
    assert current.revision == 1 and current.edited_by.startswith("file:")
    doc = current.document_json.replace('"timeLimitWorkingDays": 3', '"timeLimitWorkingDays": 4', 1)
    expect_error(grpc.StatusCode.ABORTED, lambda: update_catalogue(admin.UpdatePullCatalogueRequest(expected_revision=0, document_json=doc),
                                                                 metadata=meta("admin"), timeout=10), "revision 1")
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: update_catalogue(admin.UpdatePullCatalogueRequest(expected_revision=1, document_json='{"itemTypes": []}'),
                                                                          metadata=meta("admin"), timeout=10), "coordinationOffice")
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: get_catalogue(admin.GetPullCatalogueRequest(), metadata=meta("city-approval"), timeout=10))
    updated = update_catalogue(admin.UpdatePullCatalogueRequest(expected_revision=1, document_json=doc), metadata=meta("admin"), timeout=10)
    assert updated.revision == 2 and updated.edited_by == "admin"


@check("WatchPulls streamed the requester's events, and nothing of pulls it may not see")
def _():
    deadline = time.time() + 10
    while time.time() < deadline and not any(e.type == pulls.PULL_EVENT_TYPE_CANCELLED for e in watched):
        time.sleep(0.1)
    watch_call.cancel()
    kinds = [pulls.PullEventType.Name(e.type) for e in watched if e.pull_id == state["demand"]]
    assert kinds[:5] == ["PULL_EVENT_TYPE_DEMANDED", "PULL_EVENT_TYPE_REFUSED", "PULL_EVENT_TYPE_ESCALATED", "PULL_EVENT_TYPE_RULED_FULFIL",
                         "PULL_EVENT_TYPE_FULFILLED"], kinds
    assert all(e.pull.requester == "city-approval" for e in watched)
    assert all(len(e.pull.evidence.content) == 0 for e in watched), "events do not carry the material's bytes"


if failures:
    print(f"{len(failures)} pull interop check(s) failed", flush=True)
    sys.exit(1)
print("all pull interop checks passed", flush=True)
