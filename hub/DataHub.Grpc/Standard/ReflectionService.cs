using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Reflection.V1;
using Alpha = global::Grpc.Reflection.V1alpha;

namespace DataHub.Grpc.Standard;

/// <summary>
/// Server reflection under grpc.reflection.v1 and grpc.reflection.v1alpha (the two schemas are
/// identical on the wire, so v1alpha calls are answered by the v1 code through a byte-for-byte
/// conversion). Serves the file descriptors of every bound service, with their dependencies, so
/// tools can list, describe and call each method without .proto files.
/// </summary>
public sealed class ReflectionService
{
    private readonly GrpcServiceRegistry _registry;
    private readonly Lazy<Index> _index;

    public ReflectionService(GrpcServiceRegistry registry)
    {
        _registry = registry;
        // Built on first use, after every service is bound.
        _index = new Lazy<Index>(() => new Index(registry.Services));
    }

    public void Bind()
    {
        _registry.AddDuplexStreaming<ServerReflectionRequest, ServerReflectionResponse>(
            GrpcServiceRegistry.FindMethod(ReflectionReflection.Descriptor, "ServerReflection", "ServerReflectionInfo"), ServeAsync);
        _registry.AddDuplexStreaming<Alpha.ServerReflectionRequest, Alpha.ServerReflectionResponse>(
            GrpcServiceRegistry.FindMethod(Alpha.ReflectionReflection.Descriptor, "ServerReflection", "ServerReflectionInfo"), ServeAlphaAsync);
    }

    private async Task ServeAsync(GrpcRequestStream<ServerReflectionRequest> requests, GrpcResponseStream<ServerReflectionResponse> responses, ServerCallContext context)
    {
        await foreach (var request in requests) await responses.WriteAsync(Answer(request));
    }

    private async Task ServeAlphaAsync(GrpcRequestStream<Alpha.ServerReflectionRequest> requests,
        GrpcResponseStream<Alpha.ServerReflectionResponse> responses, ServerCallContext context)
    {
        await foreach (var request in requests)
        {
            var answer = Answer(ServerReflectionRequest.Parser.ParseFrom(request.ToByteString()));
            await responses.WriteAsync(Alpha.ServerReflectionResponse.Parser.ParseFrom(answer.ToByteString()));
        }
    }

    internal ServerReflectionResponse Answer(ServerReflectionRequest request)
    {
        var response = new ServerReflectionResponse { ValidHost = request.Host, OriginalRequest = request };
        var index = _index.Value;
        switch (request.MessageRequestCase)
        {
            case ServerReflectionRequest.MessageRequestOneofCase.ListServices:
                response.ListServicesResponse = new ListServiceResponse();
                foreach (var service in _registry.Services) response.ListServicesResponse.Service.Add(new ServiceResponse { Name = service.FullName });
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileByFilename:
                if (index.Files.TryGetValue(request.FileByFilename, out var file)) response.FileDescriptorResponse = WithDependencies(file);
                else response.ErrorResponse = NotFound($"No file named '{request.FileByFilename}'.");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingSymbol:
                if (index.Symbols.TryGetValue(request.FileContainingSymbol.TrimStart('.'), out var owner)) response.FileDescriptorResponse = WithDependencies(owner);
                else response.ErrorResponse = NotFound($"No symbol '{request.FileContainingSymbol}'.");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.FileContainingExtension:
                response.ErrorResponse = NotFound($"No extension {request.FileContainingExtension.ExtensionNumber} of '{request.FileContainingExtension.ContainingType}': the services declare no extensions.");
                break;
            case ServerReflectionRequest.MessageRequestOneofCase.AllExtensionNumbersOfType:
                if (index.Symbols.ContainsKey(request.AllExtensionNumbersOfType))
                    response.AllExtensionNumbersResponse = new ExtensionNumberResponse { BaseTypeName = request.AllExtensionNumbersOfType };
                else response.ErrorResponse = NotFound($"No type '{request.AllExtensionNumbersOfType}'.");
                break;
            default:
                response.ErrorResponse = new ErrorResponse { ErrorCode = (int)StatusCode.InvalidArgument, ErrorMessage = "The request asks nothing; set one of its message_request fields." };
                break;
        }
        return response;
    }

    private static ErrorResponse NotFound(string message) => new() { ErrorCode = (int)StatusCode.NotFound, ErrorMessage = message };

    /// <summary>The file first, then every file it depends on, each once.</summary>
    private static FileDescriptorResponse WithDependencies(FileDescriptor file)
    {
        var response = new FileDescriptorResponse();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Queue<FileDescriptor>([file]);
        while (pending.TryDequeue(out var next))
        {
            if (!seen.Add(next.Name)) continue;
            response.FileDescriptorProto.Add(next.SerializedData);
            foreach (var dependency in next.Dependencies) pending.Enqueue(dependency);
        }
        return response;
    }

    /// <summary>Every file reachable from the services, and the file defining each fully qualified symbol.</summary>
    private sealed class Index
    {
        public Dictionary<string, FileDescriptor> Files { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, FileDescriptor> Symbols { get; } = new(StringComparer.Ordinal);

        public Index(IEnumerable<ServiceDescriptor> services)
        {
            var pending = new Queue<FileDescriptor>(services.Select(s => s.File));
            while (pending.TryDequeue(out var file))
            {
                if (!Files.TryAdd(file.Name, file)) continue;
                foreach (var dependency in file.Dependencies) pending.Enqueue(dependency);
                foreach (var service in file.Services)
                {
                    Symbols.TryAdd(service.FullName, file);
                    foreach (var method in service.Methods) Symbols.TryAdd(method.FullName, file);
                }
                foreach (var message in file.MessageTypes) AddMessage(message, file);
                foreach (var e in file.EnumTypes) AddEnum(e, file);
            }
        }

        private void AddMessage(MessageDescriptor message, FileDescriptor file)
        {
            Symbols.TryAdd(message.FullName, file);
            foreach (var field in message.Fields.InDeclarationOrder()) Symbols.TryAdd(field.FullName, file);
            foreach (var nested in message.NestedTypes) AddMessage(nested, file);
            foreach (var e in message.EnumTypes) AddEnum(e, file);
        }

        private void AddEnum(EnumDescriptor e, FileDescriptor file)
        {
            Symbols.TryAdd(e.FullName, file);
            foreach (var value in e.Values) Symbols.TryAdd(value.FullName, file);
        }
    }
}
