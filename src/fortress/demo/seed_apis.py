"""The demo's APIs: ShopFast's REST API (with its private partner API), HTTP API, WebSocket
APIs and custom domain, each route wired to the functions the seed created before."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from fortress.demo.seeder import Seeder
from fortress.demo.shopfast import ACCOUNT, FAKE_STAGE_TOKEN, PRIMARY


class ApiSeeder(Seeder):
    def apis(self) -> None:
        ag = self.c("apigateway")
        fns = self.result.functions

        def uri(name: str) -> str:
            return f"arn:aws:apigateway:{PRIMARY}:lambda:path/2015-03-31/functions/{fns[name]}/invocations"

        # Its resource policy lets anyone invoke it; shopfast-partners (private) denies every
        # caller outside one VPC endpoint.
        invoke = {"Principal": "*", "Action": "execute-api:Invoke", "Resource": "execute-api:/*"}
        api = ag.create_rest_api(
            name="shopfast-rest",
            endpointConfiguration={"types": ["REGIONAL"]},
            policy=json.dumps(
                {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **invoke}]}
            ),
        )["id"]
        ag.create_rest_api(
            name="shopfast-partners",
            endpointConfiguration={"types": ["PRIVATE"]},
            policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", **invoke},
                        {
                            "Effect": "Deny",
                            **invoke,
                            "Condition": {
                                "StringNotEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}
                            },
                        },
                    ],
                }
            ),
        )
        self.result.rest_api_id = api
        root = ag.get_resources(restApiId=api)["items"][0]["id"]
        validator = ag.create_request_validator(
            restApiId=api, name="body", validateRequestBody=True
        )["id"]
        authorizer = ag.create_authorizer(
            restApiId=api,
            name="jwt",
            type="TOKEN",
            authorizerUri=uri("auth-authorizer"),
            identitySource="method.request.header.Authorization",
        )["id"]

        def method(path: str, verb: str, fn: str, **kwargs: Any) -> None:
            resource = ag.create_resource(restApiId=api, parentId=root, pathPart=path)["id"]
            ag.put_method(restApiId=api, resourceId=resource, httpMethod=verb, **kwargs)
            ag.put_integration(
                restApiId=api,
                resourceId=resource,
                httpMethod=verb,
                type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=uri(fn),
            )

        method(
            "orders",
            "POST",
            "orders-api",
            authorizationType="CUSTOM",
            authorizerId=authorizer,
            requestValidatorId=validator,
        )
        method("catalog", "GET", "orders-api", authorizationType="NONE", apiKeyRequired=True)
        method("admin", "POST", "admin-tools", authorizationType="NONE")
        ag.create_deployment(restApiId=api, stageName="prod")
        ag.create_deployment(
            restApiId=api,
            stageName="dev",
            variables={"githubToken": FAKE_STAGE_TOKEN, "backend": "dev"},
        )
        ag.update_stage(
            restApiId=api,
            stageName="prod",
            patchOperations=[
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": "200"},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": "100"},
                {"op": "replace", "path": "/*/*/logging/loglevel", "value": "ERROR"},
                {"op": "replace", "path": "/tracingEnabled", "value": "true"},
                {
                    "op": "replace",
                    "path": "/accessLogSettings/destinationArn",
                    "value": f"arn:aws:logs:{PRIMARY}:{ACCOUNT}:log-group:/aws/apigateway/shopfast",
                },
                {
                    "op": "replace",
                    "path": "/accessLogSettings/format",
                    "value": "$context.requestId",
                },
            ],
        )
        waf = self.c("wafv2")
        acl = waf.create_web_acl(
            Name="shopfast-acl",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig={
                "SampledRequestsEnabled": True,
                "CloudWatchMetricsEnabled": True,
                "MetricName": "shopfast",
            },
            Rules=[],
        )["Summary"]["ARN"]
        waf.associate_web_acl(
            WebACLArn=acl, ResourceArn=f"arn:aws:apigateway:{PRIMARY}::/restapis/{api}/stages/prod"
        )

        # The back-office API: IAM-authorized, validated — the hardened twin.
        internal = ag.create_rest_api(
            name="shopfast-backoffice", endpointConfiguration={"types": ["PRIVATE"]}
        )["id"]
        internal_root = ag.get_resources(restApiId=internal)["items"][0]["id"]
        internal_validator = ag.create_request_validator(
            restApiId=internal, name="all", validateRequestBody=True, validateRequestParameters=True
        )["id"]
        refunds = ag.create_resource(
            restApiId=internal, parentId=internal_root, pathPart="refunds"
        )["id"]
        ag.put_method(
            restApiId=internal,
            resourceId=refunds,
            httpMethod="POST",
            authorizationType="AWS_IAM",
            requestValidatorId=internal_validator,
        )
        ag.put_integration(
            restApiId=internal,
            resourceId=refunds,
            httpMethod="POST",
            type="AWS_PROXY",
            integrationHttpMethod="POST",
            uri=uri("orders-api"),
        )

        v2 = self.c("apigatewayv2")
        http = v2.create_api(
            Name="shopfast-http",
            ProtocolType="HTTP",
            CorsConfiguration={
                "AllowOrigins": ["https://shop.example.com"],
                "AllowCredentials": True,
            },
        )["ApiId"]
        self.result.http_api_id = http
        jwt = v2.create_authorizer(
            ApiId=http,
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            Name="cognito",
            JwtConfiguration={
                "Audience": ["shopfast"],
                "Issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
            },
        )["AuthorizerId"]
        for route, fn, auth in (
            ("GET /profile", "user-profile", jwt),
            ("GET /search", "search", None),
        ):
            integration = v2.create_integration(
                ApiId=http,
                IntegrationType="AWS_PROXY",
                IntegrationUri=fns[fn],
                PayloadFormatVersion="2.0",
            )["IntegrationId"]
            kwargs: dict[str, Any] = {
                "ApiId": http,
                "RouteKey": route,
                "Target": f"integrations/{integration}",
            }
            if auth:
                kwargs.update(AuthorizationType="JWT", AuthorizerId=auth)
            v2.create_route(**kwargs)
        v2.create_stage(
            ApiId=http,
            StageName="$default",
            AutoDeploy=True,
            DefaultRouteSettings={"ThrottlingBurstLimit": 50, "ThrottlingRateLimit": 100},
            AccessLogSettings={
                "DestinationArn": f"arn:aws:logs:{PRIMARY}:{ACCOUNT}:log-group:/aws/apigateway/shopfast-http",
                "Format": "$context.requestId",
            },
        )
        v2.create_stage(ApiId=http, StageName="beta")

        # CORS for any https:// site, with credentials: any website reads the answers.
        mobile = v2.create_api(
            Name="shopfast-mobile",
            ProtocolType="HTTP",
            CorsConfiguration={"AllowOrigins": ["https://*"], "AllowCredentials": True},
        )["ApiId"]
        mobile_jwt = v2.create_authorizer(
            ApiId=mobile,
            AuthorizerType="JWT",
            IdentitySource=["$request.header.Authorization"],
            Name="cognito",
            JwtConfiguration={
                "Audience": ["shopfast-mobile"],
                "Issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_example",
            },
        )["AuthorizerId"]
        integration = v2.create_integration(
            ApiId=mobile,
            IntegrationType="AWS_PROXY",
            IntegrationUri=fns["user-profile"],
            PayloadFormatVersion="2.0",
        )["IntegrationId"]
        v2.create_route(
            ApiId=mobile,
            RouteKey="GET /me",
            Target=f"integrations/{integration}",
            AuthorizationType="JWT",
            AuthorizerId=mobile_jwt,
        )
        self.websocket_apis(v2, uri)
        # Custom domains: a legacy one still accepting TLS 1.0, a current one on TLS 1.2.
        cert = f"arn:aws:acm:{PRIMARY}:{ACCOUNT}:certificate/0b1c2d3e-demo"
        ag.create_domain_name(
            domainName="legacy.shopfast.example",
            regionalCertificateArn=cert,
            endpointConfiguration={"types": ["REGIONAL"]},
            securityPolicy="TLS_1_0",
        )
        v2.create_domain_name(
            DomainName="api.shopfast.example",
            DomainNameConfigurations=[
                {"CertificateArn": cert, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}
            ],
        )

    def websocket_apis(self, v2: Any, uri: Callable[[str], str]) -> None:
        """shopfast-live: anyone may connect (no authorizer on $connect); shopfast-support:
        $connect goes through the auth-authorizer Lambda authorizer."""
        for name, protected in (("shopfast-live", False), ("shopfast-support", True)):
            ws = v2.create_api(
                Name=name, ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
            )["ApiId"]
            integration = v2.create_integration(
                ApiId=ws, IntegrationType="AWS_PROXY", IntegrationUri=uri("notifications")
            )["IntegrationId"]
            auth: dict[str, Any] = {"AuthorizationType": "NONE"}
            if protected:
                authorizer = v2.create_authorizer(
                    ApiId=ws,
                    AuthorizerType="REQUEST",
                    Name="connect",
                    AuthorizerUri=uri("auth-authorizer"),
                    IdentitySource=["route.request.querystring.token"],
                )["AuthorizerId"]
                auth = {"AuthorizationType": "CUSTOM", "AuthorizerId": authorizer}
            for key in ("$connect", "$default"):
                extra = auth if key == "$connect" else {}
                v2.create_route(
                    ApiId=ws, RouteKey=key, Target=f"integrations/{integration}", **extra
                )
