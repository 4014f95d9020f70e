using DataHub.Core.Ingest;
using DataHub.Grpc;
using DataHub.Schema.V1;
using DataHub.Security;
using Google.Protobuf.WellKnownTypes;

namespace DataHub.Api;

/// <summary>datahub.v1.IngestService: the caller's sources are checked per record, the rest goes through the pipeline.</summary>
internal sealed class IngestApi(Hub hub, AuditTrail audit, TimeProvider time)
{
    /// <summary>Records of a stream committed together.</summary>
    private const int StreamBatch = 1000;

    /// <summary>Results a stream's summary lists at most; the counts cover everything.</summary>
    private const int MaxStreamResults = 1000;

    public void Bind(GrpcServiceRegistry registry)
    {
        var file = IngestServiceReflection.Descriptor;
        registry.AddUnary<SubmitRequest, SubmitResponse>(GrpcServiceRegistry.FindMethod(file, "IngestService", "Submit"), SubmitAsync);
        registry.AddClientStreaming<RawRecord, SubmitResponse>(GrpcServiceRegistry.FindMethod(file, "IngestService", "SubmitStream"), SubmitStreamAsync);
    }

    private async Task<SubmitResponse> SubmitAsync(SubmitRequest request, ServerCallContext context)
    {
        var call = AuditedCall.Of(context);
        var max = hub.Options.Server.MaxBatchRecords;
        if (request.Records.Count > max)
            throw new RpcException(StatusCode.InvalidArgument, $"The batch has {request.Records.Count} records; Submit takes at most {max} (DataHub:Grpc:MaxBatchRecords). Split it, or use SubmitStream.");
        var response = new SubmitResponse();
        await SubmitBatchAsync(call.Caller, request.Records, 0, response, keepAccepted: true, context.CancellationToken);
        await audit.RecordAsync(call, "OK", Describe(response));
        return response;
    }

    private async Task<SubmitResponse> SubmitStreamAsync(GrpcRequestStream<RawRecord> records, ServerCallContext context)
    {
        var call = AuditedCall.Of(context);
        var response = new SubmitResponse();
        var batch = new List<RawRecord>(StreamBatch);
        uint index = 0;
        try
        {
            await foreach (var record in records)
            {
                batch.Add(record);
                if (batch.Count < StreamBatch) continue;
                await SubmitBatchAsync(call.Caller, batch, index, response, keepAccepted: false, context.CancellationToken);
                index += (uint)batch.Count;
                batch.Clear();
            }
            if (batch.Count > 0) await SubmitBatchAsync(call.Caller, batch, index, response, keepAccepted: false, context.CancellationToken);
        }
        catch (Exception e)
        {
            // Batches committed before the stream broke stay stored: the audit says how many.
            await audit.RecordAsync(call, e is RpcException r ? AgencyInterceptor.StatusName(r.Status) : "ABORTED",
                Describe(response) + " (the stream ended early; the records counted were stored)");
            throw;
        }
        await audit.RecordAsync(call, "OK", Describe(response));
        return response;
    }

    private async Task SubmitBatchAsync(Agency caller, IList<RawRecord> records, uint firstIndex, SubmitResponse response, bool keepAccepted, CancellationToken cancellationToken)
    {
        var results = new SubmitResult[records.Count];
        var admitted = new List<RawRecord>(records.Count);
        var admittedAt = new List<int>(records.Count);
        var now = Timestamp.FromDateTimeOffset(time.GetUtcNow());
        for (int i = 0; i < records.Count; i++)
        {
            var record = records[i];
            var rejection = record.Source.Length == 0
                ? ("SOURCE_MISSING", "The record names no source system; set RawRecord.source (e.g. \"market-supervision\").")
                : !caller.MaySubmit(record.Source)
                    ? ("SOURCE_NOT_IN_SCOPE", $"Agency '{caller.Id}' may not submit records of source '{record.Source}'; its scopes are [{string.Join(", ", caller.Scopes.Order())}].")
                    : default((string, string)?);
            if (rejection is { } r)
            {
                results[i] = new SubmitResult { Index = firstIndex + (uint)i, Outcome = SubmitOutcome.Rejected, ReasonCode = r.Item1, Reason = r.Item2 };
                continue;
            }
            record.FetchedAt ??= now;
            // The submitting agency is part of the origin whatever the caller wrote there.
            record.Origin = record.Origin.Length == 0 ? $"grpc:{caller.Id}" : $"grpc:{caller.Id}:{record.Origin}";
            admitted.Add(record);
            admittedAt.Add(i);
        }
        if (admitted.Count > 0)
        {
            var (outcomes, summary) = await hub.Intake.SubmitAsync(admitted, null, cancellationToken);
            response.ProfilesWritten += (uint)summary.ProfilesWritten;
            for (int k = 0; k < outcomes.Count; k++)
            {
                var o = outcomes[k];
                var result = new SubmitResult
                {
                    Index = firstIndex + (uint)admittedAt[k],
                    Outcome = o.Kind switch
                    {
                        RecordOutcomeKind.Stored => SubmitOutcome.Stored,
                        RecordOutcomeKind.Duplicate => SubmitOutcome.Duplicate,
                        RecordOutcomeKind.AwaitingName => SubmitOutcome.AwaitingName,
                        RecordOutcomeKind.Queued => SubmitOutcome.Queued,
                        _ => SubmitOutcome.Quarantined,
                    },
                    ReasonCode = o.Rejection?.Code ?? "",
                    Reason = o.Rejection?.Message ?? "",
                };
                result.Usccs.AddRange(o.Usccs);
                results[admittedAt[k]] = result;
            }
        }
        foreach (var result in results)
        {
            response.Received++;
            switch (result.Outcome)
            {
                case SubmitOutcome.Quarantined: response.Quarantined++; break;
                case SubmitOutcome.Rejected: response.Rejected++; break;
                default: response.Accepted++; break;
            }
            if (!keepAccepted && response.Results.Count >= MaxStreamResults) response.ResultsTruncated = true;
            else if (keepAccepted || result.Outcome is SubmitOutcome.Quarantined or SubmitOutcome.Rejected) response.Results.Add(result);
        }
    }

    private static string Describe(SubmitResponse r) => $"received={r.Received} accepted={r.Accepted} quarantined={r.Quarantined} rejected={r.Rejected}";
}
