#!/usr/bin/env python3
"""Approval-regulation linkage over gRPC with an independent client (Debian's python3-grpcio).

Agencies (keys in DATAHUB_KEY_<ID> with '-' as '_'): city-amr (a regulator with tasks), city-tax (another
regulator), city-approval (approval side), admin. Prints one line per check; exits 1 when any fails.
"""
import argparse
import os
import sys
import time

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interop_checks import check, expect_error, failures, watch_into  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--target", required=True)
parser.add_argument("--pydir", required=True, help="folder of the generated *_pb2 modules")
args = parser.parse_args()

sys.path.insert(0, args.pydir)
from datahub.v1 import admin_service_pb2 as admin  # noqa: E402
from datahub.v1 import linkage_service_pb2 as linkage  # noqa: E402

AGENCIES = ("city-amr", "city-tax", "city-approval", "admin")
KEYS = {a: os.environ["DATAHUB_KEY_" + a.upper().replace("-", "_")] for a in AGENCIES}
channel = grpc.insecure_channel(args.target)


def meta(agency):
    return [("authorization", "Bearer " + KEYS[agency]), ("x-purpose-bin", "审管联动互操作测试".encode("utf-8"))]


def unary(method, req_cls, resp_cls, service="datahub.v1.LinkageService"):
    return channel.unary_unary(f"/{service}/{method}", request_serializer=req_cls.SerializeToString, response_deserializer=resp_cls.FromString)


list_tasks = unary("ListTasks", linkage.ListTasksRequest, linkage.ListTasksResponse)
acknowledge = unary("AcknowledgeTask", linkage.AcknowledgeTaskRequest, linkage.RegulatoryTask)
submit = unary("SubmitResult", linkage.SubmitResultRequest, linkage.RegulatoryTask)
list_commitments = unary("ListCommitments", linkage.ListCommitmentsRequest, linkage.ListCommitmentsResponse)
get_catalogue = unary("GetLinkageCatalogue", admin.GetLinkageCatalogueRequest, admin.LinkageCatalogueRevision, "datahub.v1.AdminService")
unmatched = unary("ListUnmatchedApprovals", admin.ListUnmatchedApprovalsRequest, admin.ListUnmatchedApprovalsResponse, "datahub.v1.AdminService")
watch = channel.unary_stream("/datahub.v1.LinkageService/WatchTasks", request_serializer=linkage.WatchTasksRequest.SerializeToString,
                             response_deserializer=linkage.LinkageEvent.FromString)

state = {}
watch_call = watch(linkage.WatchTasksRequest(), metadata=meta("city-amr"), timeout=60)
watched = watch_into(watch_call)


@check("a regulator lists its own tasks only; another regulator cannot see them")
def _():
    mine = list_tasks(linkage.ListTasksRequest(view=linkage.TASK_VIEW_MINE, page_size=500), metadata=meta("city-amr"), timeout=10)
    assert mine.tasks and all(t.regulator == "city-amr" for t in mine.tasks), len(mine.tasks)
    pending = [t for t in mine.tasks if t.state == linkage.TASK_STATE_PENDING_VIEW and not t.id.endswith("-HC")]
    assert pending, "a pending task"
    state["task"] = pending[0]
    theirs = list_tasks(linkage.ListTasksRequest(view=linkage.TASK_VIEW_MINE, page_size=500), metadata=meta("city-tax"), timeout=10)
    assert all(t.regulator == "city-tax" for t in theirs.tasks)
    expect_error(grpc.StatusCode.NOT_FOUND, lambda: acknowledge(linkage.AcknowledgeTaskRequest(id=state["task"].id), metadata=meta("city-tax"), timeout=10))
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: list_tasks(linkage.ListTasksRequest(), metadata=meta("city-approval"), timeout=10))


@check("the regulator views the task once; a second view is FAILED_PRECONDITION naming the state")
def _():
    t = acknowledge(linkage.AcknowledgeTaskRequest(id=state["task"].id), metadata=meta("city-amr"), timeout=10)
    assert t.state == linkage.TASK_STATE_VIEWED and t.viewed_at.seconds > 0
    expect_error(grpc.StatusCode.FAILED_PRECONDITION, lambda: acknowledge(linkage.AcknowledgeTaskRequest(id=t.id), metadata=meta("city-amr"), timeout=10), "VIEWED")


@check("a result needs details; a revoke result goes back to the approval side")
def _():
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
    expect_error(grpc.StatusCode.INVALID_ARGUMENT, lambda: submit(linkage.SubmitResultRequest(id=state["task"].id, result=linkage.SupervisionResult(
        outcome=linkage.SUPERVISION_OUTCOME_COMPLIANT, finished_on=today)), metadata=meta("city-amr"), timeout=10), "details")
    t = submit(linkage.SubmitResultRequest(id=state["task"].id, result=linkage.SupervisionResult(
        outcome=linkage.SUPERVISION_OUTCOME_REVOKE_PERMIT, details="现场核查不符合许可条件（互操作测试）", finished_on=today)), metadata=meta("city-amr"), timeout=10)
    assert t.state == linkage.TASK_STATE_RESULT_SUBMITTED and t.revocation_returned and not t.result_overdue


@check("commitments are listed for the approval side, not for a regulator")
def _():
    every = list_commitments(linkage.ListCommitmentsRequest(view=linkage.COMMITMENT_VIEW_ALL, page_size=500), metadata=meta("city-approval"), timeout=10)
    assert every.commitments, "the synthetic data has commitments"
    kinds = {c.type for c in every.commitments}
    assert len(kinds) >= 3, kinds
    expect_error(grpc.StatusCode.PERMISSION_DENIED, lambda: list_commitments(linkage.ListCommitmentsRequest(), metadata=meta("city-amr"), timeout=10))


@check("the admin reads the linkage catalogue and the approvals it does not cover")
def _():
    c = get_catalogue(admin.GetLinkageCatalogueRequest(), metadata=meta("admin"), timeout=10)
    assert c.revision == 1 and c.csv.startswith("approval_item_code,")
    u = unmatched(admin.ListUnmatchedApprovalsRequest(limit=1000), metadata=meta("admin"), timeout=10)
    assert u.total > 0 and all(a.approval_item_code == "320100000000008" for a in u.approvals), u.total


@check("WatchTasks streamed the regulator's steps on the task")
def _():
    deadline = time.time() + 10
    while time.time() < deadline and not any(e.type == linkage.LINKAGE_EVENT_TYPE_REVOCATION_RETURNED for e in watched):
        time.sleep(0.1)
    watch_call.cancel()
    # The task's creation may stream too when the hub was still following the log as the watch began.
    kinds = [linkage.LinkageEventType.Name(e.type) for e in watched if e.task_id == state["task"].id and e.type != linkage.LINKAGE_EVENT_TYPE_TASK_CREATED]
    assert kinds == ["LINKAGE_EVENT_TYPE_ACKNOWLEDGED", "LINKAGE_EVENT_TYPE_RESULT_SUBMITTED", "LINKAGE_EVENT_TYPE_REVOCATION_RETURNED"], kinds
    assert all(e.task.regulator == "city-amr" for e in watched if e.HasField("task"))


if failures:
    print(f"{len(failures)} linkage interop check(s) failed", flush=True)
    sys.exit(1)
print("all linkage interop checks passed", flush=True)
