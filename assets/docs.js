// Renders /openapi.yaml with Swagger UI (served from this server's assets;
// nothing is fetched from elsewhere: no validator badge, no CDN).
window.ui = SwaggerUIBundle({
	url: '/openapi.yaml',
	dom_id: '#reference',
	deepLinking: true,
	validatorUrl: null,
	docExpansion: 'list',
	defaultModelsExpandDepth: 0,
});
