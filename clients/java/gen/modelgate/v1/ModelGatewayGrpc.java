package modelgate.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * One typed contract to every LLM provider.
 * Every error carries `google.rpc.ErrorInfo` (reasons: see ErrorReason), plus
 * `BadRequest` for INVALID_ARGUMENT, `RetryInfo` where a retry can help and
 * `QuotaFailure` for the caller's own quotas. Codes common to every RPC:
 * UNAUTHENTICATED (auth enabled, key missing or wrong), PERMISSION_DENIED
 * (model not allowed for the key), RESOURCE_EXHAUSTED (quota, gateway limits),
 * DEADLINE_EXCEEDED, CANCELLED, INTERNAL (gateway bug).
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: modelgate/v1/gateway.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class ModelGatewayGrpc {

  private ModelGatewayGrpc() {}

  public static final String SERVICE_NAME = "modelgate.v1.ModelGateway";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<modelgate.v1.ChatRequest,
      modelgate.v1.ChatResponse> getChatMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Chat",
      requestType = modelgate.v1.ChatRequest.class,
      responseType = modelgate.v1.ChatResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.ChatRequest,
      modelgate.v1.ChatResponse> getChatMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.ChatRequest, modelgate.v1.ChatResponse> getChatMethod;
    if ((getChatMethod = ModelGatewayGrpc.getChatMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getChatMethod = ModelGatewayGrpc.getChatMethod) == null) {
          ModelGatewayGrpc.getChatMethod = getChatMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.ChatRequest, modelgate.v1.ChatResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Chat"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.ChatRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.ChatResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("Chat"))
              .build();
        }
      }
    }
    return getChatMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.StreamChatRequest,
      modelgate.v1.StreamChatResponse> getStreamChatMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "StreamChat",
      requestType = modelgate.v1.StreamChatRequest.class,
      responseType = modelgate.v1.StreamChatResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<modelgate.v1.StreamChatRequest,
      modelgate.v1.StreamChatResponse> getStreamChatMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.StreamChatRequest, modelgate.v1.StreamChatResponse> getStreamChatMethod;
    if ((getStreamChatMethod = ModelGatewayGrpc.getStreamChatMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getStreamChatMethod = ModelGatewayGrpc.getStreamChatMethod) == null) {
          ModelGatewayGrpc.getStreamChatMethod = getStreamChatMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.StreamChatRequest, modelgate.v1.StreamChatResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "StreamChat"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.StreamChatRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.StreamChatResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("StreamChat"))
              .build();
        }
      }
    }
    return getStreamChatMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.CompleteRequest,
      modelgate.v1.CompleteResponse> getCompleteMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Complete",
      requestType = modelgate.v1.CompleteRequest.class,
      responseType = modelgate.v1.CompleteResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.CompleteRequest,
      modelgate.v1.CompleteResponse> getCompleteMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.CompleteRequest, modelgate.v1.CompleteResponse> getCompleteMethod;
    if ((getCompleteMethod = ModelGatewayGrpc.getCompleteMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getCompleteMethod = ModelGatewayGrpc.getCompleteMethod) == null) {
          ModelGatewayGrpc.getCompleteMethod = getCompleteMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.CompleteRequest, modelgate.v1.CompleteResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Complete"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.CompleteRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.CompleteResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("Complete"))
              .build();
        }
      }
    }
    return getCompleteMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.StreamCompleteRequest,
      modelgate.v1.StreamCompleteResponse> getStreamCompleteMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "StreamComplete",
      requestType = modelgate.v1.StreamCompleteRequest.class,
      responseType = modelgate.v1.StreamCompleteResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<modelgate.v1.StreamCompleteRequest,
      modelgate.v1.StreamCompleteResponse> getStreamCompleteMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.StreamCompleteRequest, modelgate.v1.StreamCompleteResponse> getStreamCompleteMethod;
    if ((getStreamCompleteMethod = ModelGatewayGrpc.getStreamCompleteMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getStreamCompleteMethod = ModelGatewayGrpc.getStreamCompleteMethod) == null) {
          ModelGatewayGrpc.getStreamCompleteMethod = getStreamCompleteMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.StreamCompleteRequest, modelgate.v1.StreamCompleteResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "StreamComplete"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.StreamCompleteRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.StreamCompleteResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("StreamComplete"))
              .build();
        }
      }
    }
    return getStreamCompleteMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.EmbedRequest,
      modelgate.v1.EmbedResponse> getEmbedMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Embed",
      requestType = modelgate.v1.EmbedRequest.class,
      responseType = modelgate.v1.EmbedResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.EmbedRequest,
      modelgate.v1.EmbedResponse> getEmbedMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.EmbedRequest, modelgate.v1.EmbedResponse> getEmbedMethod;
    if ((getEmbedMethod = ModelGatewayGrpc.getEmbedMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getEmbedMethod = ModelGatewayGrpc.getEmbedMethod) == null) {
          ModelGatewayGrpc.getEmbedMethod = getEmbedMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.EmbedRequest, modelgate.v1.EmbedResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Embed"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.EmbedRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.EmbedResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("Embed"))
              .build();
        }
      }
    }
    return getEmbedMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.ListModelsRequest,
      modelgate.v1.ListModelsResponse> getListModelsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListModels",
      requestType = modelgate.v1.ListModelsRequest.class,
      responseType = modelgate.v1.ListModelsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.ListModelsRequest,
      modelgate.v1.ListModelsResponse> getListModelsMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.ListModelsRequest, modelgate.v1.ListModelsResponse> getListModelsMethod;
    if ((getListModelsMethod = ModelGatewayGrpc.getListModelsMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getListModelsMethod = ModelGatewayGrpc.getListModelsMethod) == null) {
          ModelGatewayGrpc.getListModelsMethod = getListModelsMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.ListModelsRequest, modelgate.v1.ListModelsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListModels"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.ListModelsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.ListModelsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("ListModels"))
              .build();
        }
      }
    }
    return getListModelsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.GetModelRequest,
      modelgate.v1.GetModelResponse> getGetModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetModel",
      requestType = modelgate.v1.GetModelRequest.class,
      responseType = modelgate.v1.GetModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.GetModelRequest,
      modelgate.v1.GetModelResponse> getGetModelMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.GetModelRequest, modelgate.v1.GetModelResponse> getGetModelMethod;
    if ((getGetModelMethod = ModelGatewayGrpc.getGetModelMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getGetModelMethod = ModelGatewayGrpc.getGetModelMethod) == null) {
          ModelGatewayGrpc.getGetModelMethod = getGetModelMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.GetModelRequest, modelgate.v1.GetModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.GetModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.GetModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("GetModel"))
              .build();
        }
      }
    }
    return getGetModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.CountTokensRequest,
      modelgate.v1.CountTokensResponse> getCountTokensMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CountTokens",
      requestType = modelgate.v1.CountTokensRequest.class,
      responseType = modelgate.v1.CountTokensResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.CountTokensRequest,
      modelgate.v1.CountTokensResponse> getCountTokensMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.CountTokensRequest, modelgate.v1.CountTokensResponse> getCountTokensMethod;
    if ((getCountTokensMethod = ModelGatewayGrpc.getCountTokensMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getCountTokensMethod = ModelGatewayGrpc.getCountTokensMethod) == null) {
          ModelGatewayGrpc.getCountTokensMethod = getCountTokensMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.CountTokensRequest, modelgate.v1.CountTokensResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CountTokens"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.CountTokensRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.CountTokensResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("CountTokens"))
              .build();
        }
      }
    }
    return getCountTokensMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.PullModelRequest,
      modelgate.v1.PullModelResponse> getPullModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "PullModel",
      requestType = modelgate.v1.PullModelRequest.class,
      responseType = modelgate.v1.PullModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<modelgate.v1.PullModelRequest,
      modelgate.v1.PullModelResponse> getPullModelMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.PullModelRequest, modelgate.v1.PullModelResponse> getPullModelMethod;
    if ((getPullModelMethod = ModelGatewayGrpc.getPullModelMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getPullModelMethod = ModelGatewayGrpc.getPullModelMethod) == null) {
          ModelGatewayGrpc.getPullModelMethod = getPullModelMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.PullModelRequest, modelgate.v1.PullModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "PullModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.PullModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.PullModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("PullModel"))
              .build();
        }
      }
    }
    return getPullModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.DeleteModelRequest,
      modelgate.v1.DeleteModelResponse> getDeleteModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "DeleteModel",
      requestType = modelgate.v1.DeleteModelRequest.class,
      responseType = modelgate.v1.DeleteModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.DeleteModelRequest,
      modelgate.v1.DeleteModelResponse> getDeleteModelMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.DeleteModelRequest, modelgate.v1.DeleteModelResponse> getDeleteModelMethod;
    if ((getDeleteModelMethod = ModelGatewayGrpc.getDeleteModelMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getDeleteModelMethod = ModelGatewayGrpc.getDeleteModelMethod) == null) {
          ModelGatewayGrpc.getDeleteModelMethod = getDeleteModelMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.DeleteModelRequest, modelgate.v1.DeleteModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "DeleteModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.DeleteModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.DeleteModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("DeleteModel"))
              .build();
        }
      }
    }
    return getDeleteModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.ListRunningModelsRequest,
      modelgate.v1.ListRunningModelsResponse> getListRunningModelsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListRunningModels",
      requestType = modelgate.v1.ListRunningModelsRequest.class,
      responseType = modelgate.v1.ListRunningModelsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.ListRunningModelsRequest,
      modelgate.v1.ListRunningModelsResponse> getListRunningModelsMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.ListRunningModelsRequest, modelgate.v1.ListRunningModelsResponse> getListRunningModelsMethod;
    if ((getListRunningModelsMethod = ModelGatewayGrpc.getListRunningModelsMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getListRunningModelsMethod = ModelGatewayGrpc.getListRunningModelsMethod) == null) {
          ModelGatewayGrpc.getListRunningModelsMethod = getListRunningModelsMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.ListRunningModelsRequest, modelgate.v1.ListRunningModelsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListRunningModels"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.ListRunningModelsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.ListRunningModelsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("ListRunningModels"))
              .build();
        }
      }
    }
    return getListRunningModelsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.LoadModelRequest,
      modelgate.v1.LoadModelResponse> getLoadModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "LoadModel",
      requestType = modelgate.v1.LoadModelRequest.class,
      responseType = modelgate.v1.LoadModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.LoadModelRequest,
      modelgate.v1.LoadModelResponse> getLoadModelMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.LoadModelRequest, modelgate.v1.LoadModelResponse> getLoadModelMethod;
    if ((getLoadModelMethod = ModelGatewayGrpc.getLoadModelMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getLoadModelMethod = ModelGatewayGrpc.getLoadModelMethod) == null) {
          ModelGatewayGrpc.getLoadModelMethod = getLoadModelMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.LoadModelRequest, modelgate.v1.LoadModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "LoadModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.LoadModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.LoadModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("LoadModel"))
              .build();
        }
      }
    }
    return getLoadModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.UnloadModelRequest,
      modelgate.v1.UnloadModelResponse> getUnloadModelMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "UnloadModel",
      requestType = modelgate.v1.UnloadModelRequest.class,
      responseType = modelgate.v1.UnloadModelResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.UnloadModelRequest,
      modelgate.v1.UnloadModelResponse> getUnloadModelMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.UnloadModelRequest, modelgate.v1.UnloadModelResponse> getUnloadModelMethod;
    if ((getUnloadModelMethod = ModelGatewayGrpc.getUnloadModelMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getUnloadModelMethod = ModelGatewayGrpc.getUnloadModelMethod) == null) {
          ModelGatewayGrpc.getUnloadModelMethod = getUnloadModelMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.UnloadModelRequest, modelgate.v1.UnloadModelResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "UnloadModel"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.UnloadModelRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.UnloadModelResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("UnloadModel"))
              .build();
        }
      }
    }
    return getUnloadModelMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.ListPromptsRequest,
      modelgate.v1.ListPromptsResponse> getListPromptsMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListPrompts",
      requestType = modelgate.v1.ListPromptsRequest.class,
      responseType = modelgate.v1.ListPromptsResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.ListPromptsRequest,
      modelgate.v1.ListPromptsResponse> getListPromptsMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.ListPromptsRequest, modelgate.v1.ListPromptsResponse> getListPromptsMethod;
    if ((getListPromptsMethod = ModelGatewayGrpc.getListPromptsMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getListPromptsMethod = ModelGatewayGrpc.getListPromptsMethod) == null) {
          ModelGatewayGrpc.getListPromptsMethod = getListPromptsMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.ListPromptsRequest, modelgate.v1.ListPromptsResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListPrompts"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.ListPromptsRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.ListPromptsResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("ListPrompts"))
              .build();
        }
      }
    }
    return getListPromptsMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.GetPromptRequest,
      modelgate.v1.GetPromptResponse> getGetPromptMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetPrompt",
      requestType = modelgate.v1.GetPromptRequest.class,
      responseType = modelgate.v1.GetPromptResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.v1.GetPromptRequest,
      modelgate.v1.GetPromptResponse> getGetPromptMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.GetPromptRequest, modelgate.v1.GetPromptResponse> getGetPromptMethod;
    if ((getGetPromptMethod = ModelGatewayGrpc.getGetPromptMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getGetPromptMethod = ModelGatewayGrpc.getGetPromptMethod) == null) {
          ModelGatewayGrpc.getGetPromptMethod = getGetPromptMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.GetPromptRequest, modelgate.v1.GetPromptResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetPrompt"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.GetPromptRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.GetPromptResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("GetPrompt"))
              .build();
        }
      }
    }
    return getGetPromptMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.GenerateImageRequest,
      modelgate.v1.GenerateImageResponse> getGenerateImageMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GenerateImage",
      requestType = modelgate.v1.GenerateImageRequest.class,
      responseType = modelgate.v1.GenerateImageResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<modelgate.v1.GenerateImageRequest,
      modelgate.v1.GenerateImageResponse> getGenerateImageMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.GenerateImageRequest, modelgate.v1.GenerateImageResponse> getGenerateImageMethod;
    if ((getGenerateImageMethod = ModelGatewayGrpc.getGenerateImageMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getGenerateImageMethod = ModelGatewayGrpc.getGenerateImageMethod) == null) {
          ModelGatewayGrpc.getGenerateImageMethod = getGenerateImageMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.GenerateImageRequest, modelgate.v1.GenerateImageResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GenerateImage"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.GenerateImageRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.GenerateImageResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("GenerateImage"))
              .build();
        }
      }
    }
    return getGenerateImageMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.TranscribeRequest,
      modelgate.v1.TranscribeResponse> getTranscribeMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Transcribe",
      requestType = modelgate.v1.TranscribeRequest.class,
      responseType = modelgate.v1.TranscribeResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
  public static io.grpc.MethodDescriptor<modelgate.v1.TranscribeRequest,
      modelgate.v1.TranscribeResponse> getTranscribeMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.TranscribeRequest, modelgate.v1.TranscribeResponse> getTranscribeMethod;
    if ((getTranscribeMethod = ModelGatewayGrpc.getTranscribeMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getTranscribeMethod = ModelGatewayGrpc.getTranscribeMethod) == null) {
          ModelGatewayGrpc.getTranscribeMethod = getTranscribeMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.TranscribeRequest, modelgate.v1.TranscribeResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.CLIENT_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Transcribe"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.TranscribeRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.TranscribeResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("Transcribe"))
              .build();
        }
      }
    }
    return getTranscribeMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.StreamTranscribeRequest,
      modelgate.v1.StreamTranscribeResponse> getStreamTranscribeMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "StreamTranscribe",
      requestType = modelgate.v1.StreamTranscribeRequest.class,
      responseType = modelgate.v1.StreamTranscribeResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
  public static io.grpc.MethodDescriptor<modelgate.v1.StreamTranscribeRequest,
      modelgate.v1.StreamTranscribeResponse> getStreamTranscribeMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.StreamTranscribeRequest, modelgate.v1.StreamTranscribeResponse> getStreamTranscribeMethod;
    if ((getStreamTranscribeMethod = ModelGatewayGrpc.getStreamTranscribeMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getStreamTranscribeMethod = ModelGatewayGrpc.getStreamTranscribeMethod) == null) {
          ModelGatewayGrpc.getStreamTranscribeMethod = getStreamTranscribeMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.StreamTranscribeRequest, modelgate.v1.StreamTranscribeResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.BIDI_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "StreamTranscribe"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.StreamTranscribeRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.StreamTranscribeResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("StreamTranscribe"))
              .build();
        }
      }
    }
    return getStreamTranscribeMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.v1.SpeakRequest,
      modelgate.v1.SpeakResponse> getSpeakMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "Speak",
      requestType = modelgate.v1.SpeakRequest.class,
      responseType = modelgate.v1.SpeakResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
  public static io.grpc.MethodDescriptor<modelgate.v1.SpeakRequest,
      modelgate.v1.SpeakResponse> getSpeakMethod() {
    io.grpc.MethodDescriptor<modelgate.v1.SpeakRequest, modelgate.v1.SpeakResponse> getSpeakMethod;
    if ((getSpeakMethod = ModelGatewayGrpc.getSpeakMethod) == null) {
      synchronized (ModelGatewayGrpc.class) {
        if ((getSpeakMethod = ModelGatewayGrpc.getSpeakMethod) == null) {
          ModelGatewayGrpc.getSpeakMethod = getSpeakMethod =
              io.grpc.MethodDescriptor.<modelgate.v1.SpeakRequest, modelgate.v1.SpeakResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.SERVER_STREAMING)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "Speak"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.SpeakRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.v1.SpeakResponse.getDefaultInstance()))
              .setSchemaDescriptor(new ModelGatewayMethodDescriptorSupplier("Speak"))
              .build();
        }
      }
    }
    return getSpeakMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static ModelGatewayStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ModelGatewayStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ModelGatewayStub>() {
        @java.lang.Override
        public ModelGatewayStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ModelGatewayStub(channel, callOptions);
        }
      };
    return ModelGatewayStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static ModelGatewayBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ModelGatewayBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ModelGatewayBlockingStub>() {
        @java.lang.Override
        public ModelGatewayBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ModelGatewayBlockingStub(channel, callOptions);
        }
      };
    return ModelGatewayBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static ModelGatewayFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<ModelGatewayFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<ModelGatewayFutureStub>() {
        @java.lang.Override
        public ModelGatewayFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new ModelGatewayFutureStub(channel, callOptions);
        }
      };
    return ModelGatewayFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * One typed contract to every LLM provider.
   * Every error carries `google.rpc.ErrorInfo` (reasons: see ErrorReason), plus
   * `BadRequest` for INVALID_ARGUMENT, `RetryInfo` where a retry can help and
   * `QuotaFailure` for the caller's own quotas. Codes common to every RPC:
   * UNAUTHENTICATED (auth enabled, key missing or wrong), PERMISSION_DENIED
   * (model not allowed for the key), RESOURCE_EXHAUSTED (quota, gateway limits),
   * DEADLINE_EXCEEDED, CANCELLED, INTERNAL (gateway bug).
   * </pre>
   */
  public static abstract class ModelGatewayImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Generates the next assistant message.
     * Codes: INVALID_ARGUMENT (malformed request, upstream 400), NOT_FOUND
     * (unknown model, unknown previous_response_id), UNIMPLEMENTED (model cannot
     * chat), OUT_OF_RANGE (input + max output exceed the context window),
     * FAILED_PRECONDITION (provider not configured or rejects our credentials),
     * RESOURCE_EXHAUSTED (upstream rate limit, with RetryInfo), UNAVAILABLE
     * (upstream down or overloaded, breaker open).
     * </pre>
     */
    public void chat(modelgate.v1.ChatRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.ChatResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getChatMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams the next assistant message as attempt, delta and end events.
     * Codes: as Chat. After the first delta an upstream failure ends the stream
     * with its status; nothing is retried or sent twice.
     * </pre>
     */
    public void streamChat(modelgate.v1.StreamChatRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.StreamChatResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getStreamChatMethod(), responseObserver);
    }

    /**
     * <pre>
     * Continues a plain-text prompt (legacy completion; mapped to chat where the
     * model has no completion endpoint). Codes: as Chat.
     * </pre>
     */
    public void complete(modelgate.v1.CompleteRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.CompleteResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCompleteMethod(), responseObserver);
    }

    /**
     * <pre>
     * Streams a plain-text completion. Codes: as StreamChat.
     * </pre>
     */
    public void streamComplete(modelgate.v1.StreamCompleteRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.StreamCompleteResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getStreamCompleteMethod(), responseObserver);
    }

    /**
     * <pre>
     * Embeds texts. Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED (the model
     * cannot embed; the message names models that can), FAILED_PRECONDITION,
     * RESOURCE_EXHAUSTED, UNAVAILABLE.
     * </pre>
     */
    public void embed(modelgate.v1.EmbedRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.EmbedResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getEmbedMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists models, with capabilities and availability, one page at a time.
     * Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public void listModels(modelgate.v1.ListModelsRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.ListModelsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListModelsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one model's full record, with runtime details where available.
     * Codes: INVALID_ARGUMENT (empty id), NOT_FOUND.
     * </pre>
     */
    public void getModel(modelgate.v1.GetModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.GetModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * Counts the input tokens of text or messages for a model.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE (provider count API down).
     * </pre>
     */
    public void countTokens(modelgate.v1.CountTokensRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.CountTokensResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCountTokensMethod(), responseObserver);
    }

    /**
     * <pre>
     * Pulls a model onto a local runtime (Ollama), streaming progress.
     * Codes: INVALID_ARGUMENT, NOT_FOUND (unknown runtime), UNIMPLEMENTED (the
     * runtime cannot manage models), UNAVAILABLE.
     * </pre>
     */
    public void pullModel(modelgate.v1.PullModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.PullModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getPullModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * Deletes a model from a local runtime.
     * Codes: INVALID_ARGUMENT, NOT_FOUND (unknown runtime or model),
     * UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public void deleteModel(modelgate.v1.DeleteModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.DeleteModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getDeleteModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists models loaded in local runtimes' memory.
     * Codes: NOT_FOUND (unknown runtime), UNAVAILABLE.
     * </pre>
     */
    public void listRunningModels(modelgate.v1.ListRunningModelsRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.ListRunningModelsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListRunningModelsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Loads a model into a local runtime's memory.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public void loadModel(modelgate.v1.LoadModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.LoadModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getLoadModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * Unloads a model from a local runtime's memory.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public void unloadModel(modelgate.v1.UnloadModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.UnloadModelResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getUnloadModelMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists the catalog's prompt templates, every version, one page at a time.
     * Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public void listPrompts(modelgate.v1.ListPromptsRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.ListPromptsResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListPromptsMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one version of a prompt template (default the latest).
     * Codes: INVALID_ARGUMENT (empty id, negative version), NOT_FOUND.
     * </pre>
     */
    public void getPrompt(modelgate.v1.GetPromptRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.GetPromptResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetPromptMethod(), responseObserver);
    }

    /**
     * <pre>
     * Generates images from a prompt, streamed back as image headers and chunks
     * of at most 1 MiB, then an end event with usage and cost.
     * Codes: INVALID_ARGUMENT (empty prompt, count out of 1-10, bad size or
     * option), NOT_FOUND, UNIMPLEMENTED (the model cannot generate images),
     * FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE. Nothing is retried
     * once the first image byte was sent.
     * </pre>
     */
    public void generateImage(modelgate.v1.GenerateImageRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.GenerateImageResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGenerateImageMethod(), responseObserver);
    }

    /**
     * <pre>
     * Transcribes an uploaded audio file: first a TranscriptionConfig, then the
     * audio in chunks (no message-size cap limits the file; `limits.media_max_upload_bytes`
     * does). Codes: INVALID_ARGUMENT (first message not a config, upload shorter or
     * longer than announced, audio the model cannot read), NOT_FOUND,
     * UNIMPLEMENTED (the model cannot transcribe), OUT_OF_RANGE (upload or audio
     * duration over the gateway's cap), FAILED_PRECONDITION, RESOURCE_EXHAUSTED,
     * UNAVAILABLE, CANCELLED (the caller cancelled the upload; the upstream
     * request is closed).
     * </pre>
     */
    public io.grpc.stub.StreamObserver<modelgate.v1.TranscribeRequest> transcribe(
        io.grpc.stub.StreamObserver<modelgate.v1.TranscribeResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getTranscribeMethod(), responseObserver);
    }

    /**
     * <pre>
     * Transcribes an upload as Transcribe does, streaming the text as the model
     * produces it (models with `streaming`; others send one delta), then the
     * whole transcript. Codes: as Transcribe.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<modelgate.v1.StreamTranscribeRequest> streamTranscribe(
        io.grpc.stub.StreamObserver<modelgate.v1.StreamTranscribeResponse> responseObserver) {
      return io.grpc.stub.ServerCalls.asyncUnimplementedStreamingCall(getStreamTranscribeMethod(), responseObserver);
    }

    /**
     * <pre>
     * Speaks text: the audio is streamed back in chunks as the upstream produces
     * it, never buffered whole. Codes: INVALID_ARGUMENT (empty text, speed out of
     * 0.25-4, unknown voice or format for the model), NOT_FOUND, UNIMPLEMENTED
     * (the model cannot speak), OUT_OF_RANGE (text over the model's input cap),
     * FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE. After the first chunk
     * an upstream failure ends the stream with its status.
     * </pre>
     */
    public void speak(modelgate.v1.SpeakRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.SpeakResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getSpeakMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getChatMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.ChatRequest,
                modelgate.v1.ChatResponse>(
                  this, METHODID_CHAT)))
          .addMethod(
            getStreamChatMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                modelgate.v1.StreamChatRequest,
                modelgate.v1.StreamChatResponse>(
                  this, METHODID_STREAM_CHAT)))
          .addMethod(
            getCompleteMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.CompleteRequest,
                modelgate.v1.CompleteResponse>(
                  this, METHODID_COMPLETE)))
          .addMethod(
            getStreamCompleteMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                modelgate.v1.StreamCompleteRequest,
                modelgate.v1.StreamCompleteResponse>(
                  this, METHODID_STREAM_COMPLETE)))
          .addMethod(
            getEmbedMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.EmbedRequest,
                modelgate.v1.EmbedResponse>(
                  this, METHODID_EMBED)))
          .addMethod(
            getListModelsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.ListModelsRequest,
                modelgate.v1.ListModelsResponse>(
                  this, METHODID_LIST_MODELS)))
          .addMethod(
            getGetModelMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.GetModelRequest,
                modelgate.v1.GetModelResponse>(
                  this, METHODID_GET_MODEL)))
          .addMethod(
            getCountTokensMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.CountTokensRequest,
                modelgate.v1.CountTokensResponse>(
                  this, METHODID_COUNT_TOKENS)))
          .addMethod(
            getPullModelMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                modelgate.v1.PullModelRequest,
                modelgate.v1.PullModelResponse>(
                  this, METHODID_PULL_MODEL)))
          .addMethod(
            getDeleteModelMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.DeleteModelRequest,
                modelgate.v1.DeleteModelResponse>(
                  this, METHODID_DELETE_MODEL)))
          .addMethod(
            getListRunningModelsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.ListRunningModelsRequest,
                modelgate.v1.ListRunningModelsResponse>(
                  this, METHODID_LIST_RUNNING_MODELS)))
          .addMethod(
            getLoadModelMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.LoadModelRequest,
                modelgate.v1.LoadModelResponse>(
                  this, METHODID_LOAD_MODEL)))
          .addMethod(
            getUnloadModelMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.UnloadModelRequest,
                modelgate.v1.UnloadModelResponse>(
                  this, METHODID_UNLOAD_MODEL)))
          .addMethod(
            getListPromptsMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.ListPromptsRequest,
                modelgate.v1.ListPromptsResponse>(
                  this, METHODID_LIST_PROMPTS)))
          .addMethod(
            getGetPromptMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.v1.GetPromptRequest,
                modelgate.v1.GetPromptResponse>(
                  this, METHODID_GET_PROMPT)))
          .addMethod(
            getGenerateImageMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                modelgate.v1.GenerateImageRequest,
                modelgate.v1.GenerateImageResponse>(
                  this, METHODID_GENERATE_IMAGE)))
          .addMethod(
            getTranscribeMethod(),
            io.grpc.stub.ServerCalls.asyncClientStreamingCall(
              new MethodHandlers<
                modelgate.v1.TranscribeRequest,
                modelgate.v1.TranscribeResponse>(
                  this, METHODID_TRANSCRIBE)))
          .addMethod(
            getStreamTranscribeMethod(),
            io.grpc.stub.ServerCalls.asyncBidiStreamingCall(
              new MethodHandlers<
                modelgate.v1.StreamTranscribeRequest,
                modelgate.v1.StreamTranscribeResponse>(
                  this, METHODID_STREAM_TRANSCRIBE)))
          .addMethod(
            getSpeakMethod(),
            io.grpc.stub.ServerCalls.asyncServerStreamingCall(
              new MethodHandlers<
                modelgate.v1.SpeakRequest,
                modelgate.v1.SpeakResponse>(
                  this, METHODID_SPEAK)))
          .build();
    }
  }

  /**
   * <pre>
   * One typed contract to every LLM provider.
   * Every error carries `google.rpc.ErrorInfo` (reasons: see ErrorReason), plus
   * `BadRequest` for INVALID_ARGUMENT, `RetryInfo` where a retry can help and
   * `QuotaFailure` for the caller's own quotas. Codes common to every RPC:
   * UNAUTHENTICATED (auth enabled, key missing or wrong), PERMISSION_DENIED
   * (model not allowed for the key), RESOURCE_EXHAUSTED (quota, gateway limits),
   * DEADLINE_EXCEEDED, CANCELLED, INTERNAL (gateway bug).
   * </pre>
   */
  public static final class ModelGatewayStub extends io.grpc.stub.AbstractAsyncStub<ModelGatewayStub> {
    private ModelGatewayStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ModelGatewayStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ModelGatewayStub(channel, callOptions);
    }

    /**
     * <pre>
     * Generates the next assistant message.
     * Codes: INVALID_ARGUMENT (malformed request, upstream 400), NOT_FOUND
     * (unknown model, unknown previous_response_id), UNIMPLEMENTED (model cannot
     * chat), OUT_OF_RANGE (input + max output exceed the context window),
     * FAILED_PRECONDITION (provider not configured or rejects our credentials),
     * RESOURCE_EXHAUSTED (upstream rate limit, with RetryInfo), UNAVAILABLE
     * (upstream down or overloaded, breaker open).
     * </pre>
     */
    public void chat(modelgate.v1.ChatRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.ChatResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getChatMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams the next assistant message as attempt, delta and end events.
     * Codes: as Chat. After the first delta an upstream failure ends the stream
     * with its status; nothing is retried or sent twice.
     * </pre>
     */
    public void streamChat(modelgate.v1.StreamChatRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.StreamChatResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getStreamChatMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Continues a plain-text prompt (legacy completion; mapped to chat where the
     * model has no completion endpoint). Codes: as Chat.
     * </pre>
     */
    public void complete(modelgate.v1.CompleteRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.CompleteResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCompleteMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Streams a plain-text completion. Codes: as StreamChat.
     * </pre>
     */
    public void streamComplete(modelgate.v1.StreamCompleteRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.StreamCompleteResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getStreamCompleteMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Embeds texts. Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED (the model
     * cannot embed; the message names models that can), FAILED_PRECONDITION,
     * RESOURCE_EXHAUSTED, UNAVAILABLE.
     * </pre>
     */
    public void embed(modelgate.v1.EmbedRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.EmbedResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getEmbedMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists models, with capabilities and availability, one page at a time.
     * Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public void listModels(modelgate.v1.ListModelsRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.ListModelsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListModelsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one model's full record, with runtime details where available.
     * Codes: INVALID_ARGUMENT (empty id), NOT_FOUND.
     * </pre>
     */
    public void getModel(modelgate.v1.GetModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.GetModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Counts the input tokens of text or messages for a model.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE (provider count API down).
     * </pre>
     */
    public void countTokens(modelgate.v1.CountTokensRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.CountTokensResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCountTokensMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Pulls a model onto a local runtime (Ollama), streaming progress.
     * Codes: INVALID_ARGUMENT, NOT_FOUND (unknown runtime), UNIMPLEMENTED (the
     * runtime cannot manage models), UNAVAILABLE.
     * </pre>
     */
    public void pullModel(modelgate.v1.PullModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.PullModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getPullModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Deletes a model from a local runtime.
     * Codes: INVALID_ARGUMENT, NOT_FOUND (unknown runtime or model),
     * UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public void deleteModel(modelgate.v1.DeleteModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.DeleteModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getDeleteModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists models loaded in local runtimes' memory.
     * Codes: NOT_FOUND (unknown runtime), UNAVAILABLE.
     * </pre>
     */
    public void listRunningModels(modelgate.v1.ListRunningModelsRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.ListRunningModelsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListRunningModelsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Loads a model into a local runtime's memory.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public void loadModel(modelgate.v1.LoadModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.LoadModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getLoadModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Unloads a model from a local runtime's memory.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public void unloadModel(modelgate.v1.UnloadModelRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.UnloadModelResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getUnloadModelMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists the catalog's prompt templates, every version, one page at a time.
     * Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public void listPrompts(modelgate.v1.ListPromptsRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.ListPromptsResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListPromptsMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one version of a prompt template (default the latest).
     * Codes: INVALID_ARGUMENT (empty id, negative version), NOT_FOUND.
     * </pre>
     */
    public void getPrompt(modelgate.v1.GetPromptRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.GetPromptResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetPromptMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Generates images from a prompt, streamed back as image headers and chunks
     * of at most 1 MiB, then an end event with usage and cost.
     * Codes: INVALID_ARGUMENT (empty prompt, count out of 1-10, bad size or
     * option), NOT_FOUND, UNIMPLEMENTED (the model cannot generate images),
     * FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE. Nothing is retried
     * once the first image byte was sent.
     * </pre>
     */
    public void generateImage(modelgate.v1.GenerateImageRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.GenerateImageResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getGenerateImageMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Transcribes an uploaded audio file: first a TranscriptionConfig, then the
     * audio in chunks (no message-size cap limits the file; `limits.media_max_upload_bytes`
     * does). Codes: INVALID_ARGUMENT (first message not a config, upload shorter or
     * longer than announced, audio the model cannot read), NOT_FOUND,
     * UNIMPLEMENTED (the model cannot transcribe), OUT_OF_RANGE (upload or audio
     * duration over the gateway's cap), FAILED_PRECONDITION, RESOURCE_EXHAUSTED,
     * UNAVAILABLE, CANCELLED (the caller cancelled the upload; the upstream
     * request is closed).
     * </pre>
     */
    public io.grpc.stub.StreamObserver<modelgate.v1.TranscribeRequest> transcribe(
        io.grpc.stub.StreamObserver<modelgate.v1.TranscribeResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncClientStreamingCall(
          getChannel().newCall(getTranscribeMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * Transcribes an upload as Transcribe does, streaming the text as the model
     * produces it (models with `streaming`; others send one delta), then the
     * whole transcript. Codes: as Transcribe.
     * </pre>
     */
    public io.grpc.stub.StreamObserver<modelgate.v1.StreamTranscribeRequest> streamTranscribe(
        io.grpc.stub.StreamObserver<modelgate.v1.StreamTranscribeResponse> responseObserver) {
      return io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
          getChannel().newCall(getStreamTranscribeMethod(), getCallOptions()), responseObserver);
    }

    /**
     * <pre>
     * Speaks text: the audio is streamed back in chunks as the upstream produces
     * it, never buffered whole. Codes: INVALID_ARGUMENT (empty text, speed out of
     * 0.25-4, unknown voice or format for the model), NOT_FOUND, UNIMPLEMENTED
     * (the model cannot speak), OUT_OF_RANGE (text over the model's input cap),
     * FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE. After the first chunk
     * an upstream failure ends the stream with its status.
     * </pre>
     */
    public void speak(modelgate.v1.SpeakRequest request,
        io.grpc.stub.StreamObserver<modelgate.v1.SpeakResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncServerStreamingCall(
          getChannel().newCall(getSpeakMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * <pre>
   * One typed contract to every LLM provider.
   * Every error carries `google.rpc.ErrorInfo` (reasons: see ErrorReason), plus
   * `BadRequest` for INVALID_ARGUMENT, `RetryInfo` where a retry can help and
   * `QuotaFailure` for the caller's own quotas. Codes common to every RPC:
   * UNAUTHENTICATED (auth enabled, key missing or wrong), PERMISSION_DENIED
   * (model not allowed for the key), RESOURCE_EXHAUSTED (quota, gateway limits),
   * DEADLINE_EXCEEDED, CANCELLED, INTERNAL (gateway bug).
   * </pre>
   */
  public static final class ModelGatewayBlockingStub extends io.grpc.stub.AbstractBlockingStub<ModelGatewayBlockingStub> {
    private ModelGatewayBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ModelGatewayBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ModelGatewayBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Generates the next assistant message.
     * Codes: INVALID_ARGUMENT (malformed request, upstream 400), NOT_FOUND
     * (unknown model, unknown previous_response_id), UNIMPLEMENTED (model cannot
     * chat), OUT_OF_RANGE (input + max output exceed the context window),
     * FAILED_PRECONDITION (provider not configured or rejects our credentials),
     * RESOURCE_EXHAUSTED (upstream rate limit, with RetryInfo), UNAVAILABLE
     * (upstream down or overloaded, breaker open).
     * </pre>
     */
    public modelgate.v1.ChatResponse chat(modelgate.v1.ChatRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getChatMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams the next assistant message as attempt, delta and end events.
     * Codes: as Chat. After the first delta an upstream failure ends the stream
     * with its status; nothing is retried or sent twice.
     * </pre>
     */
    public java.util.Iterator<modelgate.v1.StreamChatResponse> streamChat(
        modelgate.v1.StreamChatRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getStreamChatMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Continues a plain-text prompt (legacy completion; mapped to chat where the
     * model has no completion endpoint). Codes: as Chat.
     * </pre>
     */
    public modelgate.v1.CompleteResponse complete(modelgate.v1.CompleteRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCompleteMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Streams a plain-text completion. Codes: as StreamChat.
     * </pre>
     */
    public java.util.Iterator<modelgate.v1.StreamCompleteResponse> streamComplete(
        modelgate.v1.StreamCompleteRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getStreamCompleteMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Embeds texts. Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED (the model
     * cannot embed; the message names models that can), FAILED_PRECONDITION,
     * RESOURCE_EXHAUSTED, UNAVAILABLE.
     * </pre>
     */
    public modelgate.v1.EmbedResponse embed(modelgate.v1.EmbedRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getEmbedMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists models, with capabilities and availability, one page at a time.
     * Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public modelgate.v1.ListModelsResponse listModels(modelgate.v1.ListModelsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListModelsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one model's full record, with runtime details where available.
     * Codes: INVALID_ARGUMENT (empty id), NOT_FOUND.
     * </pre>
     */
    public modelgate.v1.GetModelResponse getModel(modelgate.v1.GetModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Counts the input tokens of text or messages for a model.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE (provider count API down).
     * </pre>
     */
    public modelgate.v1.CountTokensResponse countTokens(modelgate.v1.CountTokensRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCountTokensMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Pulls a model onto a local runtime (Ollama), streaming progress.
     * Codes: INVALID_ARGUMENT, NOT_FOUND (unknown runtime), UNIMPLEMENTED (the
     * runtime cannot manage models), UNAVAILABLE.
     * </pre>
     */
    public java.util.Iterator<modelgate.v1.PullModelResponse> pullModel(
        modelgate.v1.PullModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getPullModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Deletes a model from a local runtime.
     * Codes: INVALID_ARGUMENT, NOT_FOUND (unknown runtime or model),
     * UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public modelgate.v1.DeleteModelResponse deleteModel(modelgate.v1.DeleteModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getDeleteModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists models loaded in local runtimes' memory.
     * Codes: NOT_FOUND (unknown runtime), UNAVAILABLE.
     * </pre>
     */
    public modelgate.v1.ListRunningModelsResponse listRunningModels(modelgate.v1.ListRunningModelsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListRunningModelsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Loads a model into a local runtime's memory.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public modelgate.v1.LoadModelResponse loadModel(modelgate.v1.LoadModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getLoadModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Unloads a model from a local runtime's memory.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public modelgate.v1.UnloadModelResponse unloadModel(modelgate.v1.UnloadModelRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getUnloadModelMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists the catalog's prompt templates, every version, one page at a time.
     * Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public modelgate.v1.ListPromptsResponse listPrompts(modelgate.v1.ListPromptsRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListPromptsMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one version of a prompt template (default the latest).
     * Codes: INVALID_ARGUMENT (empty id, negative version), NOT_FOUND.
     * </pre>
     */
    public modelgate.v1.GetPromptResponse getPrompt(modelgate.v1.GetPromptRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetPromptMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Generates images from a prompt, streamed back as image headers and chunks
     * of at most 1 MiB, then an end event with usage and cost.
     * Codes: INVALID_ARGUMENT (empty prompt, count out of 1-10, bad size or
     * option), NOT_FOUND, UNIMPLEMENTED (the model cannot generate images),
     * FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE. Nothing is retried
     * once the first image byte was sent.
     * </pre>
     */
    public java.util.Iterator<modelgate.v1.GenerateImageResponse> generateImage(
        modelgate.v1.GenerateImageRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getGenerateImageMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Speaks text: the audio is streamed back in chunks as the upstream produces
     * it, never buffered whole. Codes: INVALID_ARGUMENT (empty text, speed out of
     * 0.25-4, unknown voice or format for the model), NOT_FOUND, UNIMPLEMENTED
     * (the model cannot speak), OUT_OF_RANGE (text over the model's input cap),
     * FAILED_PRECONDITION, RESOURCE_EXHAUSTED, UNAVAILABLE. After the first chunk
     * an upstream failure ends the stream with its status.
     * </pre>
     */
    public java.util.Iterator<modelgate.v1.SpeakResponse> speak(
        modelgate.v1.SpeakRequest request) {
      return io.grpc.stub.ClientCalls.blockingServerStreamingCall(
          getChannel(), getSpeakMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * One typed contract to every LLM provider.
   * Every error carries `google.rpc.ErrorInfo` (reasons: see ErrorReason), plus
   * `BadRequest` for INVALID_ARGUMENT, `RetryInfo` where a retry can help and
   * `QuotaFailure` for the caller's own quotas. Codes common to every RPC:
   * UNAUTHENTICATED (auth enabled, key missing or wrong), PERMISSION_DENIED
   * (model not allowed for the key), RESOURCE_EXHAUSTED (quota, gateway limits),
   * DEADLINE_EXCEEDED, CANCELLED, INTERNAL (gateway bug).
   * </pre>
   */
  public static final class ModelGatewayFutureStub extends io.grpc.stub.AbstractFutureStub<ModelGatewayFutureStub> {
    private ModelGatewayFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected ModelGatewayFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new ModelGatewayFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Generates the next assistant message.
     * Codes: INVALID_ARGUMENT (malformed request, upstream 400), NOT_FOUND
     * (unknown model, unknown previous_response_id), UNIMPLEMENTED (model cannot
     * chat), OUT_OF_RANGE (input + max output exceed the context window),
     * FAILED_PRECONDITION (provider not configured or rejects our credentials),
     * RESOURCE_EXHAUSTED (upstream rate limit, with RetryInfo), UNAVAILABLE
     * (upstream down or overloaded, breaker open).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.ChatResponse> chat(
        modelgate.v1.ChatRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getChatMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Continues a plain-text prompt (legacy completion; mapped to chat where the
     * model has no completion endpoint). Codes: as Chat.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.CompleteResponse> complete(
        modelgate.v1.CompleteRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCompleteMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Embeds texts. Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED (the model
     * cannot embed; the message names models that can), FAILED_PRECONDITION,
     * RESOURCE_EXHAUSTED, UNAVAILABLE.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.EmbedResponse> embed(
        modelgate.v1.EmbedRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getEmbedMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists models, with capabilities and availability, one page at a time.
     * Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.ListModelsResponse> listModels(
        modelgate.v1.ListModelsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListModelsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one model's full record, with runtime details where available.
     * Codes: INVALID_ARGUMENT (empty id), NOT_FOUND.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.GetModelResponse> getModel(
        modelgate.v1.GetModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Counts the input tokens of text or messages for a model.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNAVAILABLE (provider count API down).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.CountTokensResponse> countTokens(
        modelgate.v1.CountTokensRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCountTokensMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Deletes a model from a local runtime.
     * Codes: INVALID_ARGUMENT, NOT_FOUND (unknown runtime or model),
     * UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.DeleteModelResponse> deleteModel(
        modelgate.v1.DeleteModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getDeleteModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists models loaded in local runtimes' memory.
     * Codes: NOT_FOUND (unknown runtime), UNAVAILABLE.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.ListRunningModelsResponse> listRunningModels(
        modelgate.v1.ListRunningModelsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListRunningModelsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Loads a model into a local runtime's memory.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.LoadModelResponse> loadModel(
        modelgate.v1.LoadModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getLoadModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Unloads a model from a local runtime's memory.
     * Codes: INVALID_ARGUMENT, NOT_FOUND, UNIMPLEMENTED, UNAVAILABLE.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.UnloadModelResponse> unloadModel(
        modelgate.v1.UnloadModelRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getUnloadModelMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists the catalog's prompt templates, every version, one page at a time.
     * Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.ListPromptsResponse> listPrompts(
        modelgate.v1.ListPromptsRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListPromptsMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one version of a prompt template (default the latest).
     * Codes: INVALID_ARGUMENT (empty id, negative version), NOT_FOUND.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.v1.GetPromptResponse> getPrompt(
        modelgate.v1.GetPromptRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetPromptMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CHAT = 0;
  private static final int METHODID_STREAM_CHAT = 1;
  private static final int METHODID_COMPLETE = 2;
  private static final int METHODID_STREAM_COMPLETE = 3;
  private static final int METHODID_EMBED = 4;
  private static final int METHODID_LIST_MODELS = 5;
  private static final int METHODID_GET_MODEL = 6;
  private static final int METHODID_COUNT_TOKENS = 7;
  private static final int METHODID_PULL_MODEL = 8;
  private static final int METHODID_DELETE_MODEL = 9;
  private static final int METHODID_LIST_RUNNING_MODELS = 10;
  private static final int METHODID_LOAD_MODEL = 11;
  private static final int METHODID_UNLOAD_MODEL = 12;
  private static final int METHODID_LIST_PROMPTS = 13;
  private static final int METHODID_GET_PROMPT = 14;
  private static final int METHODID_GENERATE_IMAGE = 15;
  private static final int METHODID_SPEAK = 16;
  private static final int METHODID_TRANSCRIBE = 17;
  private static final int METHODID_STREAM_TRANSCRIBE = 18;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final ModelGatewayImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(ModelGatewayImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CHAT:
          serviceImpl.chat((modelgate.v1.ChatRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.ChatResponse>) responseObserver);
          break;
        case METHODID_STREAM_CHAT:
          serviceImpl.streamChat((modelgate.v1.StreamChatRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.StreamChatResponse>) responseObserver);
          break;
        case METHODID_COMPLETE:
          serviceImpl.complete((modelgate.v1.CompleteRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.CompleteResponse>) responseObserver);
          break;
        case METHODID_STREAM_COMPLETE:
          serviceImpl.streamComplete((modelgate.v1.StreamCompleteRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.StreamCompleteResponse>) responseObserver);
          break;
        case METHODID_EMBED:
          serviceImpl.embed((modelgate.v1.EmbedRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.EmbedResponse>) responseObserver);
          break;
        case METHODID_LIST_MODELS:
          serviceImpl.listModels((modelgate.v1.ListModelsRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.ListModelsResponse>) responseObserver);
          break;
        case METHODID_GET_MODEL:
          serviceImpl.getModel((modelgate.v1.GetModelRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.GetModelResponse>) responseObserver);
          break;
        case METHODID_COUNT_TOKENS:
          serviceImpl.countTokens((modelgate.v1.CountTokensRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.CountTokensResponse>) responseObserver);
          break;
        case METHODID_PULL_MODEL:
          serviceImpl.pullModel((modelgate.v1.PullModelRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.PullModelResponse>) responseObserver);
          break;
        case METHODID_DELETE_MODEL:
          serviceImpl.deleteModel((modelgate.v1.DeleteModelRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.DeleteModelResponse>) responseObserver);
          break;
        case METHODID_LIST_RUNNING_MODELS:
          serviceImpl.listRunningModels((modelgate.v1.ListRunningModelsRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.ListRunningModelsResponse>) responseObserver);
          break;
        case METHODID_LOAD_MODEL:
          serviceImpl.loadModel((modelgate.v1.LoadModelRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.LoadModelResponse>) responseObserver);
          break;
        case METHODID_UNLOAD_MODEL:
          serviceImpl.unloadModel((modelgate.v1.UnloadModelRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.UnloadModelResponse>) responseObserver);
          break;
        case METHODID_LIST_PROMPTS:
          serviceImpl.listPrompts((modelgate.v1.ListPromptsRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.ListPromptsResponse>) responseObserver);
          break;
        case METHODID_GET_PROMPT:
          serviceImpl.getPrompt((modelgate.v1.GetPromptRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.GetPromptResponse>) responseObserver);
          break;
        case METHODID_GENERATE_IMAGE:
          serviceImpl.generateImage((modelgate.v1.GenerateImageRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.GenerateImageResponse>) responseObserver);
          break;
        case METHODID_SPEAK:
          serviceImpl.speak((modelgate.v1.SpeakRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.v1.SpeakResponse>) responseObserver);
          break;
        default:
          throw new AssertionError();
      }
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public io.grpc.stub.StreamObserver<Req> invoke(
        io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_TRANSCRIBE:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.transcribe(
              (io.grpc.stub.StreamObserver<modelgate.v1.TranscribeResponse>) responseObserver);
        case METHODID_STREAM_TRANSCRIBE:
          return (io.grpc.stub.StreamObserver<Req>) serviceImpl.streamTranscribe(
              (io.grpc.stub.StreamObserver<modelgate.v1.StreamTranscribeResponse>) responseObserver);
        default:
          throw new AssertionError();
      }
    }
  }

  private static abstract class ModelGatewayBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    ModelGatewayBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return modelgate.v1.GatewayProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("ModelGateway");
    }
  }

  private static final class ModelGatewayFileDescriptorSupplier
      extends ModelGatewayBaseDescriptorSupplier {
    ModelGatewayFileDescriptorSupplier() {}
  }

  private static final class ModelGatewayMethodDescriptorSupplier
      extends ModelGatewayBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    ModelGatewayMethodDescriptorSupplier(String methodName) {
      this.methodName = methodName;
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.MethodDescriptor getMethodDescriptor() {
      return getServiceDescriptor().findMethodByName(methodName);
    }
  }

  private static volatile io.grpc.ServiceDescriptor serviceDescriptor;

  public static io.grpc.ServiceDescriptor getServiceDescriptor() {
    io.grpc.ServiceDescriptor result = serviceDescriptor;
    if (result == null) {
      synchronized (ModelGatewayGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new ModelGatewayFileDescriptorSupplier())
              .addMethod(getChatMethod())
              .addMethod(getStreamChatMethod())
              .addMethod(getCompleteMethod())
              .addMethod(getStreamCompleteMethod())
              .addMethod(getEmbedMethod())
              .addMethod(getListModelsMethod())
              .addMethod(getGetModelMethod())
              .addMethod(getCountTokensMethod())
              .addMethod(getPullModelMethod())
              .addMethod(getDeleteModelMethod())
              .addMethod(getListRunningModelsMethod())
              .addMethod(getLoadModelMethod())
              .addMethod(getUnloadModelMethod())
              .addMethod(getListPromptsMethod())
              .addMethod(getGetPromptMethod())
              .addMethod(getGenerateImageMethod())
              .addMethod(getTranscribeMethod())
              .addMethod(getStreamTranscribeMethod())
              .addMethod(getSpeakMethod())
              .build();
        }
      }
    }
    return result;
  }
}
