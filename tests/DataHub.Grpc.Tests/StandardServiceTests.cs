using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Health.V1;
using Grpc.Reflection.V1;
using static Grpc.Health.V1.HealthCheckResponse.Types;

namespace DataHub.Grpc.Tests;

/// <summary>grpc.health.v1 and server reflection (v1 and v1alpha) over the wire.</summary>
public sealed class StandardServiceTests(GrpcTestServer server) : IClassFixture<GrpcTestServer>
{
    [Fact]
    public async Task Health_check_reports_the_server_and_not_found_for_unknown_services()
    {
        var r = await server.CallAsync("/grpc.health.v1.Health/Check", [new HealthCheckRequest()]);
        Assert.Equal(ServingStatus.Serving, r.Single(HealthCheckResponse.Parser).Status);
        var unknown = await server.CallAsync("/grpc.health.v1.Health/Check", [new HealthCheckRequest { Service = "no.Such" }]);
        Assert.Equal(StatusCode.NotFound, unknown.Status);
    }

    [Fact]
    public async Task Health_watch_sends_the_current_status_then_each_change()
    {
        server.Health.SetStatus("datahub.test.Echo", ServingStatus.Serving);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var (response, body) = await server.OpenAsync("/grpc.health.v1.Health/Watch", new HealthCheckRequest { Service = "datahub.test.Echo" }, cts.Token);
        using (response)
        {
            var first = HealthCheckResponse.Parser.ParseFrom(await GrpcTestServer.ReadMessageAsync(body, cts.Token));
            Assert.Equal(ServingStatus.Serving, first.Status);
            server.Health.SetStatus("datahub.test.Echo", ServingStatus.NotServing);
            var second = HealthCheckResponse.Parser.ParseFrom(await GrpcTestServer.ReadMessageAsync(body, cts.Token));
            Assert.Equal(ServingStatus.NotServing, second.Status);
        }
    }

    [Theory]
    [InlineData("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo")]
    [InlineData("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")]
    public async Task Reflection_lists_the_services_and_serves_descriptors_with_dependencies(string path)
    {
        var r = await server.CallAsync(path, [
            new ServerReflectionRequest { ListServices = "" },
            new ServerReflectionRequest { FileContainingSymbol = "datahub.test.Echo.Duplex" },
            new ServerReflectionRequest { FileContainingSymbol = "no.Such" },
        ]);
        Assert.Equal(StatusCode.OK, r.Status);
        var answers = r.All(ServerReflectionResponse.Parser);
        Assert.Equal(3, answers.Count);
        var names = answers[0].ListServicesResponse.Service.Select(s => s.Name).ToList();
        Assert.Contains("datahub.test.Echo", names);
        Assert.Contains("grpc.health.v1.Health", names);
        Assert.Contains("grpc.reflection.v1alpha.ServerReflection", names);

        var files = answers[1].FileDescriptorResponse.FileDescriptorProto.Select(b => FileDescriptorProto.Parser.ParseFrom(b)).ToList();
        Assert.Equal("echo.proto", files[0].Name);
        var echo = files[0].Service.Single(s => s.Name == "Echo");
        var duplex = echo.Method.Single(m => m.Name == "Duplex");
        Assert.True(duplex.ClientStreaming && duplex.ServerStreaming);

        Assert.Equal((int)StatusCode.NotFound, answers[2].ErrorResponse.ErrorCode);
    }

    [Fact]
    public async Task Reflection_answers_file_by_filename_and_message_symbols()
    {
        var r = await server.CallAsync("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo", [
            new ServerReflectionRequest { FileByFilename = "grpc/health/v1/health.proto" },
            new ServerReflectionRequest { FileContainingSymbol = "grpc.health.v1.HealthCheckResponse.ServingStatus" },
        ]);
        var answers = r.All(ServerReflectionResponse.Parser);
        Assert.All(answers, a => Assert.Equal("grpc/health/v1/health.proto",
            FileDescriptorProto.Parser.ParseFrom(a.FileDescriptorResponse.FileDescriptorProto[0]).Name));
    }
}
