package modelgate.admin.v1;

import static io.grpc.MethodDescriptor.generateFullMethodName;

/**
 * <pre>
 * Governance of a modelgate fleet: caller keys, their limits and budgets, and
 * usage. Served next to modelgate.v1.ModelGateway on the same port, and only
 * to admin credentials (`authorization: Bearer &lt;admin key&gt;`); caller keys are
 * refused, and with auth on the service is never open.
 * Codes common to every RPC: UNAUTHENTICATED (no admin credential),
 * PERMISSION_DENIED (a caller key instead of an admin one), UNAVAILABLE (the
 * state backend failed; nothing was changed), INTERNAL (gateway bug).
 * </pre>
 */
@javax.annotation.Generated(
    value = "by gRPC proto compiler",
    comments = "Source: modelgate/admin/v1/admin.proto")
@io.grpc.stub.annotations.GrpcGenerated
public final class AdminServiceGrpc {

  private AdminServiceGrpc() {}

  public static final String SERVICE_NAME = "modelgate.admin.v1.AdminService";

  // Static method descriptors that strictly reflect the proto.
  private static volatile io.grpc.MethodDescriptor<modelgate.admin.v1.CreateKeyRequest,
      modelgate.admin.v1.CreateKeyResponse> getCreateKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "CreateKey",
      requestType = modelgate.admin.v1.CreateKeyRequest.class,
      responseType = modelgate.admin.v1.CreateKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.admin.v1.CreateKeyRequest,
      modelgate.admin.v1.CreateKeyResponse> getCreateKeyMethod() {
    io.grpc.MethodDescriptor<modelgate.admin.v1.CreateKeyRequest, modelgate.admin.v1.CreateKeyResponse> getCreateKeyMethod;
    if ((getCreateKeyMethod = AdminServiceGrpc.getCreateKeyMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getCreateKeyMethod = AdminServiceGrpc.getCreateKeyMethod) == null) {
          AdminServiceGrpc.getCreateKeyMethod = getCreateKeyMethod =
              io.grpc.MethodDescriptor.<modelgate.admin.v1.CreateKeyRequest, modelgate.admin.v1.CreateKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "CreateKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.CreateKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.CreateKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("CreateKey"))
              .build();
        }
      }
    }
    return getCreateKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.admin.v1.GetKeyRequest,
      modelgate.admin.v1.GetKeyResponse> getGetKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetKey",
      requestType = modelgate.admin.v1.GetKeyRequest.class,
      responseType = modelgate.admin.v1.GetKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.admin.v1.GetKeyRequest,
      modelgate.admin.v1.GetKeyResponse> getGetKeyMethod() {
    io.grpc.MethodDescriptor<modelgate.admin.v1.GetKeyRequest, modelgate.admin.v1.GetKeyResponse> getGetKeyMethod;
    if ((getGetKeyMethod = AdminServiceGrpc.getGetKeyMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getGetKeyMethod = AdminServiceGrpc.getGetKeyMethod) == null) {
          AdminServiceGrpc.getGetKeyMethod = getGetKeyMethod =
              io.grpc.MethodDescriptor.<modelgate.admin.v1.GetKeyRequest, modelgate.admin.v1.GetKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.GetKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.GetKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("GetKey"))
              .build();
        }
      }
    }
    return getGetKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.admin.v1.ListKeysRequest,
      modelgate.admin.v1.ListKeysResponse> getListKeysMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "ListKeys",
      requestType = modelgate.admin.v1.ListKeysRequest.class,
      responseType = modelgate.admin.v1.ListKeysResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.admin.v1.ListKeysRequest,
      modelgate.admin.v1.ListKeysResponse> getListKeysMethod() {
    io.grpc.MethodDescriptor<modelgate.admin.v1.ListKeysRequest, modelgate.admin.v1.ListKeysResponse> getListKeysMethod;
    if ((getListKeysMethod = AdminServiceGrpc.getListKeysMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getListKeysMethod = AdminServiceGrpc.getListKeysMethod) == null) {
          AdminServiceGrpc.getListKeysMethod = getListKeysMethod =
              io.grpc.MethodDescriptor.<modelgate.admin.v1.ListKeysRequest, modelgate.admin.v1.ListKeysResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "ListKeys"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.ListKeysRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.ListKeysResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("ListKeys"))
              .build();
        }
      }
    }
    return getListKeysMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.admin.v1.UpdateKeyRequest,
      modelgate.admin.v1.UpdateKeyResponse> getUpdateKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "UpdateKey",
      requestType = modelgate.admin.v1.UpdateKeyRequest.class,
      responseType = modelgate.admin.v1.UpdateKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.admin.v1.UpdateKeyRequest,
      modelgate.admin.v1.UpdateKeyResponse> getUpdateKeyMethod() {
    io.grpc.MethodDescriptor<modelgate.admin.v1.UpdateKeyRequest, modelgate.admin.v1.UpdateKeyResponse> getUpdateKeyMethod;
    if ((getUpdateKeyMethod = AdminServiceGrpc.getUpdateKeyMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getUpdateKeyMethod = AdminServiceGrpc.getUpdateKeyMethod) == null) {
          AdminServiceGrpc.getUpdateKeyMethod = getUpdateKeyMethod =
              io.grpc.MethodDescriptor.<modelgate.admin.v1.UpdateKeyRequest, modelgate.admin.v1.UpdateKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "UpdateKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.UpdateKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.UpdateKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("UpdateKey"))
              .build();
        }
      }
    }
    return getUpdateKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.admin.v1.RevokeKeyRequest,
      modelgate.admin.v1.RevokeKeyResponse> getRevokeKeyMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "RevokeKey",
      requestType = modelgate.admin.v1.RevokeKeyRequest.class,
      responseType = modelgate.admin.v1.RevokeKeyResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.admin.v1.RevokeKeyRequest,
      modelgate.admin.v1.RevokeKeyResponse> getRevokeKeyMethod() {
    io.grpc.MethodDescriptor<modelgate.admin.v1.RevokeKeyRequest, modelgate.admin.v1.RevokeKeyResponse> getRevokeKeyMethod;
    if ((getRevokeKeyMethod = AdminServiceGrpc.getRevokeKeyMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getRevokeKeyMethod = AdminServiceGrpc.getRevokeKeyMethod) == null) {
          AdminServiceGrpc.getRevokeKeyMethod = getRevokeKeyMethod =
              io.grpc.MethodDescriptor.<modelgate.admin.v1.RevokeKeyRequest, modelgate.admin.v1.RevokeKeyResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "RevokeKey"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.RevokeKeyRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.RevokeKeyResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("RevokeKey"))
              .build();
        }
      }
    }
    return getRevokeKeyMethod;
  }

  private static volatile io.grpc.MethodDescriptor<modelgate.admin.v1.GetUsageRequest,
      modelgate.admin.v1.GetUsageResponse> getGetUsageMethod;

  @io.grpc.stub.annotations.RpcMethod(
      fullMethodName = SERVICE_NAME + '/' + "GetUsage",
      requestType = modelgate.admin.v1.GetUsageRequest.class,
      responseType = modelgate.admin.v1.GetUsageResponse.class,
      methodType = io.grpc.MethodDescriptor.MethodType.UNARY)
  public static io.grpc.MethodDescriptor<modelgate.admin.v1.GetUsageRequest,
      modelgate.admin.v1.GetUsageResponse> getGetUsageMethod() {
    io.grpc.MethodDescriptor<modelgate.admin.v1.GetUsageRequest, modelgate.admin.v1.GetUsageResponse> getGetUsageMethod;
    if ((getGetUsageMethod = AdminServiceGrpc.getGetUsageMethod) == null) {
      synchronized (AdminServiceGrpc.class) {
        if ((getGetUsageMethod = AdminServiceGrpc.getGetUsageMethod) == null) {
          AdminServiceGrpc.getGetUsageMethod = getGetUsageMethod =
              io.grpc.MethodDescriptor.<modelgate.admin.v1.GetUsageRequest, modelgate.admin.v1.GetUsageResponse>newBuilder()
              .setType(io.grpc.MethodDescriptor.MethodType.UNARY)
              .setFullMethodName(generateFullMethodName(SERVICE_NAME, "GetUsage"))
              .setSampledToLocalTracing(true)
              .setRequestMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.GetUsageRequest.getDefaultInstance()))
              .setResponseMarshaller(io.grpc.protobuf.ProtoUtils.marshaller(
                  modelgate.admin.v1.GetUsageResponse.getDefaultInstance()))
              .setSchemaDescriptor(new AdminServiceMethodDescriptorSupplier("GetUsage"))
              .build();
        }
      }
    }
    return getGetUsageMethod;
  }

  /**
   * Creates a new async stub that supports all call types for the service
   */
  public static AdminServiceStub newStub(io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceStub>() {
        @java.lang.Override
        public AdminServiceStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceStub(channel, callOptions);
        }
      };
    return AdminServiceStub.newStub(factory, channel);
  }

  /**
   * Creates a new blocking-style stub that supports unary and streaming output calls on the service
   */
  public static AdminServiceBlockingStub newBlockingStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceBlockingStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceBlockingStub>() {
        @java.lang.Override
        public AdminServiceBlockingStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceBlockingStub(channel, callOptions);
        }
      };
    return AdminServiceBlockingStub.newStub(factory, channel);
  }

  /**
   * Creates a new ListenableFuture-style stub that supports unary calls on the service
   */
  public static AdminServiceFutureStub newFutureStub(
      io.grpc.Channel channel) {
    io.grpc.stub.AbstractStub.StubFactory<AdminServiceFutureStub> factory =
      new io.grpc.stub.AbstractStub.StubFactory<AdminServiceFutureStub>() {
        @java.lang.Override
        public AdminServiceFutureStub newStub(io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
          return new AdminServiceFutureStub(channel, callOptions);
        }
      };
    return AdminServiceFutureStub.newStub(factory, channel);
  }

  /**
   * <pre>
   * Governance of a modelgate fleet: caller keys, their limits and budgets, and
   * usage. Served next to modelgate.v1.ModelGateway on the same port, and only
   * to admin credentials (`authorization: Bearer &lt;admin key&gt;`); caller keys are
   * refused, and with auth on the service is never open.
   * Codes common to every RPC: UNAUTHENTICATED (no admin credential),
   * PERMISSION_DENIED (a caller key instead of an admin one), UNAVAILABLE (the
   * state backend failed; nothing was changed), INTERNAL (gateway bug).
   * </pre>
   */
  public static abstract class AdminServiceImplBase implements io.grpc.BindableService {

    /**
     * <pre>
     * Creates a caller key. The secret is in this response only; the gateway
     * keeps its SHA-256 digest. Codes: INVALID_ARGUMENT (bad id, limits or
     * budgets), ALREADY_EXISTS (the id is taken).
     * </pre>
     */
    public void createKey(modelgate.admin.v1.CreateKeyRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.CreateKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getCreateKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * Returns one key, with its budgets' spend so far; never its secret.
     * Codes: INVALID_ARGUMENT (empty id), NOT_FOUND.
     * </pre>
     */
    public void getKey(modelgate.admin.v1.GetKeyRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.GetKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * Lists keys (the configuration's, read-only, and the admin API's), one page
     * at a time, sorted by id. Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public void listKeys(modelgate.admin.v1.ListKeysRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.ListKeysResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getListKeysMethod(), responseObserver);
    }

    /**
     * <pre>
     * Changes the fields named in `update_mask`. Takes effect on every replica
     * within a second. Codes: INVALID_ARGUMENT (bad mask path or value),
     * NOT_FOUND, FAILED_PRECONDITION (the key is read-only or revoked).
     * </pre>
     */
    public void updateKey(modelgate.admin.v1.UpdateKeyRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.UpdateKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getUpdateKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * Revokes a key: every replica refuses it (UNAUTHENTICATED) within a second.
     * Revoking a revoked key is a no-op. Codes: INVALID_ARGUMENT, NOT_FOUND,
     * FAILED_PRECONDITION (read-only key).
     * </pre>
     */
    public void revokeKey(modelgate.admin.v1.RevokeKeyRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.RevokeKeyResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getRevokeKeyMethod(), responseObserver);
    }

    /**
     * <pre>
     * Sums usage (requests, tokens, cost) by key and model over a time window.
     * Codes: INVALID_ARGUMENT (end before start, bad granularity).
     * </pre>
     */
    public void getUsage(modelgate.admin.v1.GetUsageRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.GetUsageResponse> responseObserver) {
      io.grpc.stub.ServerCalls.asyncUnimplementedUnaryCall(getGetUsageMethod(), responseObserver);
    }

    @java.lang.Override public final io.grpc.ServerServiceDefinition bindService() {
      return io.grpc.ServerServiceDefinition.builder(getServiceDescriptor())
          .addMethod(
            getCreateKeyMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.admin.v1.CreateKeyRequest,
                modelgate.admin.v1.CreateKeyResponse>(
                  this, METHODID_CREATE_KEY)))
          .addMethod(
            getGetKeyMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.admin.v1.GetKeyRequest,
                modelgate.admin.v1.GetKeyResponse>(
                  this, METHODID_GET_KEY)))
          .addMethod(
            getListKeysMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.admin.v1.ListKeysRequest,
                modelgate.admin.v1.ListKeysResponse>(
                  this, METHODID_LIST_KEYS)))
          .addMethod(
            getUpdateKeyMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.admin.v1.UpdateKeyRequest,
                modelgate.admin.v1.UpdateKeyResponse>(
                  this, METHODID_UPDATE_KEY)))
          .addMethod(
            getRevokeKeyMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.admin.v1.RevokeKeyRequest,
                modelgate.admin.v1.RevokeKeyResponse>(
                  this, METHODID_REVOKE_KEY)))
          .addMethod(
            getGetUsageMethod(),
            io.grpc.stub.ServerCalls.asyncUnaryCall(
              new MethodHandlers<
                modelgate.admin.v1.GetUsageRequest,
                modelgate.admin.v1.GetUsageResponse>(
                  this, METHODID_GET_USAGE)))
          .build();
    }
  }

  /**
   * <pre>
   * Governance of a modelgate fleet: caller keys, their limits and budgets, and
   * usage. Served next to modelgate.v1.ModelGateway on the same port, and only
   * to admin credentials (`authorization: Bearer &lt;admin key&gt;`); caller keys are
   * refused, and with auth on the service is never open.
   * Codes common to every RPC: UNAUTHENTICATED (no admin credential),
   * PERMISSION_DENIED (a caller key instead of an admin one), UNAVAILABLE (the
   * state backend failed; nothing was changed), INTERNAL (gateway bug).
   * </pre>
   */
  public static final class AdminServiceStub extends io.grpc.stub.AbstractAsyncStub<AdminServiceStub> {
    private AdminServiceStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a caller key. The secret is in this response only; the gateway
     * keeps its SHA-256 digest. Codes: INVALID_ARGUMENT (bad id, limits or
     * budgets), ALREADY_EXISTS (the id is taken).
     * </pre>
     */
    public void createKey(modelgate.admin.v1.CreateKeyRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.CreateKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getCreateKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Returns one key, with its budgets' spend so far; never its secret.
     * Codes: INVALID_ARGUMENT (empty id), NOT_FOUND.
     * </pre>
     */
    public void getKey(modelgate.admin.v1.GetKeyRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.GetKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Lists keys (the configuration's, read-only, and the admin API's), one page
     * at a time, sorted by id. Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public void listKeys(modelgate.admin.v1.ListKeysRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.ListKeysResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getListKeysMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Changes the fields named in `update_mask`. Takes effect on every replica
     * within a second. Codes: INVALID_ARGUMENT (bad mask path or value),
     * NOT_FOUND, FAILED_PRECONDITION (the key is read-only or revoked).
     * </pre>
     */
    public void updateKey(modelgate.admin.v1.UpdateKeyRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.UpdateKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getUpdateKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Revokes a key: every replica refuses it (UNAUTHENTICATED) within a second.
     * Revoking a revoked key is a no-op. Codes: INVALID_ARGUMENT, NOT_FOUND,
     * FAILED_PRECONDITION (read-only key).
     * </pre>
     */
    public void revokeKey(modelgate.admin.v1.RevokeKeyRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.RevokeKeyResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getRevokeKeyMethod(), getCallOptions()), request, responseObserver);
    }

    /**
     * <pre>
     * Sums usage (requests, tokens, cost) by key and model over a time window.
     * Codes: INVALID_ARGUMENT (end before start, bad granularity).
     * </pre>
     */
    public void getUsage(modelgate.admin.v1.GetUsageRequest request,
        io.grpc.stub.StreamObserver<modelgate.admin.v1.GetUsageResponse> responseObserver) {
      io.grpc.stub.ClientCalls.asyncUnaryCall(
          getChannel().newCall(getGetUsageMethod(), getCallOptions()), request, responseObserver);
    }
  }

  /**
   * <pre>
   * Governance of a modelgate fleet: caller keys, their limits and budgets, and
   * usage. Served next to modelgate.v1.ModelGateway on the same port, and only
   * to admin credentials (`authorization: Bearer &lt;admin key&gt;`); caller keys are
   * refused, and with auth on the service is never open.
   * Codes common to every RPC: UNAUTHENTICATED (no admin credential),
   * PERMISSION_DENIED (a caller key instead of an admin one), UNAVAILABLE (the
   * state backend failed; nothing was changed), INTERNAL (gateway bug).
   * </pre>
   */
  public static final class AdminServiceBlockingStub extends io.grpc.stub.AbstractBlockingStub<AdminServiceBlockingStub> {
    private AdminServiceBlockingStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceBlockingStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceBlockingStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a caller key. The secret is in this response only; the gateway
     * keeps its SHA-256 digest. Codes: INVALID_ARGUMENT (bad id, limits or
     * budgets), ALREADY_EXISTS (the id is taken).
     * </pre>
     */
    public modelgate.admin.v1.CreateKeyResponse createKey(modelgate.admin.v1.CreateKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getCreateKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Returns one key, with its budgets' spend so far; never its secret.
     * Codes: INVALID_ARGUMENT (empty id), NOT_FOUND.
     * </pre>
     */
    public modelgate.admin.v1.GetKeyResponse getKey(modelgate.admin.v1.GetKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Lists keys (the configuration's, read-only, and the admin API's), one page
     * at a time, sorted by id. Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public modelgate.admin.v1.ListKeysResponse listKeys(modelgate.admin.v1.ListKeysRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getListKeysMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Changes the fields named in `update_mask`. Takes effect on every replica
     * within a second. Codes: INVALID_ARGUMENT (bad mask path or value),
     * NOT_FOUND, FAILED_PRECONDITION (the key is read-only or revoked).
     * </pre>
     */
    public modelgate.admin.v1.UpdateKeyResponse updateKey(modelgate.admin.v1.UpdateKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getUpdateKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Revokes a key: every replica refuses it (UNAUTHENTICATED) within a second.
     * Revoking a revoked key is a no-op. Codes: INVALID_ARGUMENT, NOT_FOUND,
     * FAILED_PRECONDITION (read-only key).
     * </pre>
     */
    public modelgate.admin.v1.RevokeKeyResponse revokeKey(modelgate.admin.v1.RevokeKeyRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getRevokeKeyMethod(), getCallOptions(), request);
    }

    /**
     * <pre>
     * Sums usage (requests, tokens, cost) by key and model over a time window.
     * Codes: INVALID_ARGUMENT (end before start, bad granularity).
     * </pre>
     */
    public modelgate.admin.v1.GetUsageResponse getUsage(modelgate.admin.v1.GetUsageRequest request) {
      return io.grpc.stub.ClientCalls.blockingUnaryCall(
          getChannel(), getGetUsageMethod(), getCallOptions(), request);
    }
  }

  /**
   * <pre>
   * Governance of a modelgate fleet: caller keys, their limits and budgets, and
   * usage. Served next to modelgate.v1.ModelGateway on the same port, and only
   * to admin credentials (`authorization: Bearer &lt;admin key&gt;`); caller keys are
   * refused, and with auth on the service is never open.
   * Codes common to every RPC: UNAUTHENTICATED (no admin credential),
   * PERMISSION_DENIED (a caller key instead of an admin one), UNAVAILABLE (the
   * state backend failed; nothing was changed), INTERNAL (gateway bug).
   * </pre>
   */
  public static final class AdminServiceFutureStub extends io.grpc.stub.AbstractFutureStub<AdminServiceFutureStub> {
    private AdminServiceFutureStub(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      super(channel, callOptions);
    }

    @java.lang.Override
    protected AdminServiceFutureStub build(
        io.grpc.Channel channel, io.grpc.CallOptions callOptions) {
      return new AdminServiceFutureStub(channel, callOptions);
    }

    /**
     * <pre>
     * Creates a caller key. The secret is in this response only; the gateway
     * keeps its SHA-256 digest. Codes: INVALID_ARGUMENT (bad id, limits or
     * budgets), ALREADY_EXISTS (the id is taken).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.admin.v1.CreateKeyResponse> createKey(
        modelgate.admin.v1.CreateKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getCreateKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Returns one key, with its budgets' spend so far; never its secret.
     * Codes: INVALID_ARGUMENT (empty id), NOT_FOUND.
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.admin.v1.GetKeyResponse> getKey(
        modelgate.admin.v1.GetKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Lists keys (the configuration's, read-only, and the admin API's), one page
     * at a time, sorted by id. Codes: INVALID_ARGUMENT (bad page size or token).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.admin.v1.ListKeysResponse> listKeys(
        modelgate.admin.v1.ListKeysRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getListKeysMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Changes the fields named in `update_mask`. Takes effect on every replica
     * within a second. Codes: INVALID_ARGUMENT (bad mask path or value),
     * NOT_FOUND, FAILED_PRECONDITION (the key is read-only or revoked).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.admin.v1.UpdateKeyResponse> updateKey(
        modelgate.admin.v1.UpdateKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getUpdateKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Revokes a key: every replica refuses it (UNAUTHENTICATED) within a second.
     * Revoking a revoked key is a no-op. Codes: INVALID_ARGUMENT, NOT_FOUND,
     * FAILED_PRECONDITION (read-only key).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.admin.v1.RevokeKeyResponse> revokeKey(
        modelgate.admin.v1.RevokeKeyRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getRevokeKeyMethod(), getCallOptions()), request);
    }

    /**
     * <pre>
     * Sums usage (requests, tokens, cost) by key and model over a time window.
     * Codes: INVALID_ARGUMENT (end before start, bad granularity).
     * </pre>
     */
    public com.google.common.util.concurrent.ListenableFuture<modelgate.admin.v1.GetUsageResponse> getUsage(
        modelgate.admin.v1.GetUsageRequest request) {
      return io.grpc.stub.ClientCalls.futureUnaryCall(
          getChannel().newCall(getGetUsageMethod(), getCallOptions()), request);
    }
  }

  private static final int METHODID_CREATE_KEY = 0;
  private static final int METHODID_GET_KEY = 1;
  private static final int METHODID_LIST_KEYS = 2;
  private static final int METHODID_UPDATE_KEY = 3;
  private static final int METHODID_REVOKE_KEY = 4;
  private static final int METHODID_GET_USAGE = 5;

  private static final class MethodHandlers<Req, Resp> implements
      io.grpc.stub.ServerCalls.UnaryMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ServerStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.ClientStreamingMethod<Req, Resp>,
      io.grpc.stub.ServerCalls.BidiStreamingMethod<Req, Resp> {
    private final AdminServiceImplBase serviceImpl;
    private final int methodId;

    MethodHandlers(AdminServiceImplBase serviceImpl, int methodId) {
      this.serviceImpl = serviceImpl;
      this.methodId = methodId;
    }

    @java.lang.Override
    @java.lang.SuppressWarnings("unchecked")
    public void invoke(Req request, io.grpc.stub.StreamObserver<Resp> responseObserver) {
      switch (methodId) {
        case METHODID_CREATE_KEY:
          serviceImpl.createKey((modelgate.admin.v1.CreateKeyRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.admin.v1.CreateKeyResponse>) responseObserver);
          break;
        case METHODID_GET_KEY:
          serviceImpl.getKey((modelgate.admin.v1.GetKeyRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.admin.v1.GetKeyResponse>) responseObserver);
          break;
        case METHODID_LIST_KEYS:
          serviceImpl.listKeys((modelgate.admin.v1.ListKeysRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.admin.v1.ListKeysResponse>) responseObserver);
          break;
        case METHODID_UPDATE_KEY:
          serviceImpl.updateKey((modelgate.admin.v1.UpdateKeyRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.admin.v1.UpdateKeyResponse>) responseObserver);
          break;
        case METHODID_REVOKE_KEY:
          serviceImpl.revokeKey((modelgate.admin.v1.RevokeKeyRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.admin.v1.RevokeKeyResponse>) responseObserver);
          break;
        case METHODID_GET_USAGE:
          serviceImpl.getUsage((modelgate.admin.v1.GetUsageRequest) request,
              (io.grpc.stub.StreamObserver<modelgate.admin.v1.GetUsageResponse>) responseObserver);
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
        default:
          throw new AssertionError();
      }
    }
  }

  private static abstract class AdminServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoFileDescriptorSupplier, io.grpc.protobuf.ProtoServiceDescriptorSupplier {
    AdminServiceBaseDescriptorSupplier() {}

    @java.lang.Override
    public com.google.protobuf.Descriptors.FileDescriptor getFileDescriptor() {
      return modelgate.admin.v1.AdminProto.getDescriptor();
    }

    @java.lang.Override
    public com.google.protobuf.Descriptors.ServiceDescriptor getServiceDescriptor() {
      return getFileDescriptor().findServiceByName("AdminService");
    }
  }

  private static final class AdminServiceFileDescriptorSupplier
      extends AdminServiceBaseDescriptorSupplier {
    AdminServiceFileDescriptorSupplier() {}
  }

  private static final class AdminServiceMethodDescriptorSupplier
      extends AdminServiceBaseDescriptorSupplier
      implements io.grpc.protobuf.ProtoMethodDescriptorSupplier {
    private final String methodName;

    AdminServiceMethodDescriptorSupplier(String methodName) {
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
      synchronized (AdminServiceGrpc.class) {
        result = serviceDescriptor;
        if (result == null) {
          serviceDescriptor = result = io.grpc.ServiceDescriptor.newBuilder(SERVICE_NAME)
              .setSchemaDescriptor(new AdminServiceFileDescriptorSupplier())
              .addMethod(getCreateKeyMethod())
              .addMethod(getGetKeyMethod())
              .addMethod(getListKeysMethod())
              .addMethod(getUpdateKeyMethod())
              .addMethod(getRevokeKeyMethod())
              .addMethod(getGetUsageMethod())
              .build();
        }
      }
    }
    return result;
  }
}
