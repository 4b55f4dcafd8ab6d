/* Barnes-Hut t-SNE, registered on the addon's exports next to the training kernels (see tsne.c). */
#ifndef AE_TSNE_H
#define AE_TSNE_H
#include <node_api.h>

void register_tsne(napi_env env, napi_value exports);

#endif
